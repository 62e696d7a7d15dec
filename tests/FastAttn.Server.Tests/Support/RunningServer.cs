using FastAttn.Engine.Attention.Costs;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FastAttn.Server.Tests.Support;

/// <summary>
/// The real server on a free loopback port (Kestrel), writing into its own temporary folder: the built-in tiny-mnist at a
/// few steps with fixed attention costs (no timing), or a <see cref="GatedEngine"/> the test steers.
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(WebApplication app, string root)
    {
        App = app;
        Root = root;
        BaseUrl = app.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)).TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl + "/") };
    }

    public WebApplication App { get; }

    public string Root { get; }

    /// <summary>e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string BaseUrl { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>Starts the server; <paramref name="settings"/> add configuration, <paramref name="engine"/> replaces the engine.</summary>
    public static async Task<RunningServer> StartAsync(IDictionary<string, string?>? settings = null, IFastAttnEngine? engine = null,
        TimeProvider? time = null, int steps = 3)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-server-tests").FullName;
        var config = new Dictionary<string, string?>
        {
            ["FastAttn:OutputDirectory"] = Path.Combine(root, "images"),
            ["FastAttn:PlanDirectory"] = Path.Combine(root, "plans"),
            ["FastAttn:Device"] = "cpu",
            ["FastAttn:Threads"] = "1",
            ["FastAttn:Models:tiny-mnist:Path"] = "tiny-mnist",
            ["FastAttn:Models:tiny-mnist:Steps"] = steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        var app = FastAttnServerApp.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.Logging.ClearProviders();
            builder.Services.TryAddSingleton<IAttentionCostModel>(new FixedCostModel(Engine.Tests.Support.TestCostModels.EverythingPays));
            if (time is not null) builder.Services.AddSingleton(time);
            if (engine is not null) builder.Services.AddFastAttn().UseEngine(_ => engine);
        });
        await app.StartAsync();
        return new RunningServer(app, root);
    }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
