using FastAttn.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace FastAttn.Server.WebTests.Support;

/// <summary>The real server (Kestrel, the web page, the built-in tiny-mnist model) on a free loopback port, in its own folders.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, string root, Uri url) => (_app, Root, Url) = (app, root, url);

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The server's temporary folder (outputs, plans).</summary>
    public string Root { get; }

    public static async Task<LoopbackServer> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("fastattn-web-tests").FullName;
        var app = FastAttnServerApp.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration["FastAttn:OutputDirectory"] = Path.Combine(root, "images");
            builder.Configuration["FastAttn:PlanDirectory"] = Path.Combine(root, "plans");
            builder.Configuration["FastAttn:Device"] = "cpu";
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackServer(app, root, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
