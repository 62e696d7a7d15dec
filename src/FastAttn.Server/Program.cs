using FastAttn.Server.Hosting;
using FastAttn.Server.Security;

try
{
    var app = FastAttnServerApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (InsecureListenAddressException e)
{
    await Console.Error.WriteLineAsync("fastattn-server: " + e.Message);
    return 2;
}
