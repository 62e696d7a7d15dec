using System.Globalization;
using FastAttn.Cluster.Client;
using FastAttn.Cluster.Hosting;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastAttn.Cli.Soak;

/// <summary>What the soak serves: the hosted engine in this process and, with Redis, a silo process and a cluster client.</summary>
/// <param name="Root">The soak's own folder (outputs, plans, cluster results).</param>
/// <param name="VideoModelPath">A text-to-video model folder served as "clip" (null: no video).</param>
/// <param name="Queue">The engine's queue length.</param>
/// <param name="Redis">A Redis for the cluster transport (null: no cluster).</param>
/// <param name="SiloDll">fastattn-silo.dll, for the cluster.</param>
internal sealed record SoakHostOptions(string Root, string? VideoModelPath, int Queue, string? Redis, string SiloDll);

/// <summary>Starts what the soak talks to and builds its transports; disposing stops them all.</summary>
internal sealed class SoakHost : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];
    private LocalSiloProcess? _silo;

    /// <summary>The silo process, for sampling its memory (null without a cluster).</summary>
    public WatchedProcess? Silo => _silo is null ? null : WatchedProcess.Open(_silo.ProcessId);

    public IFastAttnEngine Engine { get; private set; } = null!;

    public List<ISoakTransport> Transports { get; } = [];

    public static async Task<SoakHost> StartAsync(SoakSettings settings, SoakHostOptions options, IReadOnlyCollection<string> transports,
        CancellationToken cancellationToken)
    {
        var host = new SoakHost();
        try
        {
            await host.StartEngineAsync(settings, options, transports, cancellationToken).ConfigureAwait(false);
            if (options.Redis is string redis) await host.StartClusterAsync(settings, options, redis, cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartEngineAsync(SoakSettings settings, SoakHostOptions options, IReadOnlyCollection<string> transports,
        CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddFastAttn(o =>
        {
            o.DefaultModel = settings.ImageModel;
            o.Device = "cpu";
            o.QueueLength = options.Queue;
            o.OutputDirectory = Path.Combine(options.Root, "out");
            o.PlanDirectory = Path.Combine(options.Root, "plans");
            if (settings.Steps is int steps)                                                   // the kernel functions take no steps
                o.Models[settings.ImageModel] = new FastAttnModelOptions { Path = settings.ImageModel, Steps = steps };
            if (options.VideoModelPath is string video)
            {
                o.Models["clip"] = new FastAttnModelOptions { Path = video, Steps = 3 };
                o.DefaultVideoModel = "clip";
            }
        });
        builder.Services.AddFastAttnImageGenerator();
        var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        _hosts.Add(host);
        var sp = host.Services;
        Engine = sp.GetRequiredService<IFastAttnEngine>();
        if (transports.Contains("engine")) Transports.Add(new EngineTransport(Engine));
        if (transports.Contains("kernel"))
            Transports.Add(new KernelTransport(sp.GetRequiredService<FastAttnImagePlugin>(),
                options.VideoModelPath is null ? null : sp.GetRequiredService<FastAttnVideoPlugin>()));
        if (transports.Contains("imagegenerator")) Transports.Add(new ImageGeneratorTransport(sp.GetRequiredService<IImageGenerator>()));
    }

    private async Task StartClusterAsync(SoakSettings settings, SoakHostOptions options, string redis, CancellationToken cancellationToken)
    {
        var id = "soak-" + Guid.NewGuid().ToString("N")[..8];
        var common = new Dictionary<string, string?>
        {
            ["FastAttn:Cluster:Clustering"] = "redis", ["FastAttn:Cluster:Redis"] = redis, ["FastAttn:Cluster:ClusterId"] = id,
            ["FastAttn:Cluster:ServiceId"] = id, ["FastAttn:Cluster:ResultStore"] = Path.Combine(options.Root, "results"),
        };
        var silo = new Dictionary<string, string?>(common)
        {
            ["FastAttn:Cluster:SiloPort"] = LocalSiloProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["FastAttn:Cluster:GatewayPort"] = LocalSiloProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["FastAttn:Cluster:AdvertisedAddress"] = "127.0.0.1", ["FastAttn:Cluster:Devices:0"] = "cpu", ["FastAttn:Device"] = "cpu",
            ["FastAttn:DefaultModel"] = settings.ImageModel, ["FastAttn:QueueLength"] = options.Queue.ToString(CultureInfo.InvariantCulture),
            ["FastAttn:OutputDirectory"] = Path.Combine(options.Root, "silo-out"), ["FastAttn:PlanDirectory"] = Path.Combine(options.Root, "plans"),
            ["Logging:LogLevel:Default"] = "Warning", ["Logging:LogLevel:FastAttn.Cluster.Hosting"] = "Information",     // its ready line
        };
        if (options.VideoModelPath is string video)
        {
            silo["FastAttn:Models:clip:Path"] = video;
            silo["FastAttn:Models:clip:Steps"] = "3";
            silo["FastAttn:DefaultVideoModel"] = "clip";
        }
        _silo = await LocalSiloProcess.StartAsync(options.SiloDll, "soak-host", options.Root, silo, TimeSpan.FromMinutes(3),
            Path.Combine(options.Root, "silo.log"), cancellationToken).ConfigureAwait(false);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(common);
        builder.AddFastAttnClusterClient();
        var client = builder.Build();
        await client.StartAsync(cancellationToken).ConfigureAwait(false);
        _hosts.Add(client);
        Transports.Add(new ClusterTransport(client.Services.GetRequiredService<IFastAttnCluster>()));
    }

    /// <summary>Temporary files left under <paramref name="root"/>: atomic-write temps (<c>.*.tmp</c>) and staged cluster results.</summary>
    public static int TempFilesLeft(string root) => !Directory.Exists(root) ? 0
        : Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Count(f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal)
            || f.Contains($"{Path.DirectorySeparatorChar}.staging{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>
    /// Files in the engine's output folder under <paramref name="root"/> that no client received (<paramref name="delivered"/>: file
    /// names): what a request cancelled mid-save would leave if its files were not removed. Expected 0.
    /// </summary>
    public static int OrphanFiles(string root, IReadOnlyDictionary<string, byte> delivered)
    {
        var folder = Path.Combine(root, "out");
        return !Directory.Exists(folder) ? 0 : Directory.EnumerateFiles(folder)
            .Count(f => (f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".gif", StringComparison.Ordinal))
                && !delivered.ContainsKey(Path.GetFileName(f)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            try { await host.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            host.Dispose();
        }
        _silo?.Dispose();
        foreach (var transport in Transports.OfType<IDisposable>()) transport.Dispose();
    }
}
