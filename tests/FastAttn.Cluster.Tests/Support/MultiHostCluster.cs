using FastAttn.Cluster.Client;
using System.Globalization;
using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>
/// A real FastAttn cluster on 127.0.0.1: a private Redis (membership, jobs, plans), silo processes each serving some of
/// the tiny random models "A" and "B" (separate plan folders: plans are shared through the cluster only), one shared
/// result store, and a client app (a generic host with <see cref="FastAttnClientExtensions.AddFastAttnClusterClient"/>).
/// </summary>
public sealed class MultiHostCluster : IAsyncDisposable
{
    private readonly RedisServer _redis;
    private readonly string _clusterId;
    private readonly Dictionary<string, LocalSiloProcess> _silos = new(StringComparer.Ordinal);
    private IHost? _client;

    private MultiHostCluster(RedisServer redis, string root)
    {
        _redis = redis;
        Root = root;
        _clusterId = "fastattn-test-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(ResultStore);
        ModelA = TinyRandomModels.Write(Path.Combine(root, "models"), "A", seed: 11);
        ModelB = TinyRandomModels.Write(Path.Combine(root, "models"), "B", seed: 22);
    }

    public string Root { get; }

    public string ResultStore => Path.Combine(Root, "results");

    public string ModelA { get; }

    public string ModelB { get; }

    public IServiceProvider Services => _client!.Services;

    public IFastAttnCluster Client => Services.GetRequiredService<IFastAttnCluster>();

    internal LocalSiloProcess Silo(string host) => _silos[host];

    /// <summary>Starts Redis and the silos (host → models it serves), then the client.</summary>
    public static Task<MultiHostCluster> StartAsync(params (string Host, string[] Models)[] hosts) => StartAsync(RedisServer.Start(), hosts);

    /// <summary>Starts the silos and the client on <paramref name="redis"/>.</summary>
    internal static async Task<MultiHostCluster> StartAsync(RedisServer redis, params (string Host, string[] Models)[] hosts)
    {
        var root = Directory.CreateTempSubdirectory("fastattn-cluster-tests").FullName;
        var cluster = new MultiHostCluster(redis, root);
        try
        {
            foreach (var (host, models) in hosts) await cluster.StartSiloAsync(host, models);
            await cluster.StartClientAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartSiloAsync(string host, string[] models)
    {
        var settings = new Dictionary<string, string?>(CommonSettings)
        {
            ["FastAttn:Cluster:SiloPort"] = LocalSiloProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["FastAttn:Cluster:GatewayPort"] = LocalSiloProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["FastAttn:Cluster:AdvertisedAddress"] = "127.0.0.1",
            ["FastAttn:Cluster:Devices:0"] = "cpu",
            ["FastAttn:Cluster:ProbeTimeout"] = "00:00:02",
            ["FastAttn:Cluster:MissedProbesLimit"] = "3",
            ["FastAttn:Cluster:DeathVotes"] = "1",
            ["FastAttn:Device"] = "cpu",
            ["FastAttn:SearchOnDemand"] = "true",
            ["FastAttn:QueueLength"] = "4",
            ["FastAttn:Limits:MaxImages"] = "16",
            ["FastAttn:Limits:MaxSteps"] = "1000",
            ["FastAttn:PlanDirectory"] = Path.Combine(Root, "plans-" + host),
            ["FastAttn:OutputDirectory"] = Path.Combine(Root, "local-" + host),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:FastAttn"] = "Information",
            ["Logging:LogLevel:FastAttn.Cluster"] = "Debug",
            ["Logging:LogLevel:Orleans.Runtime.MembershipService"] = "Information",
            ["FastAttn:Cluster:DispatchTimeout"] = "00:00:40",
        };
        foreach (var model in models) settings[$"FastAttn:Models:{model}:Path"] = model == "A" ? ModelA : ModelB;
        _silos[host] = await LocalSiloProcess.StartAsync(SiloDll.Path, host, Root, settings, TimeSpan.FromSeconds(90), Path.Combine(Root, $"silo-{host}.log"));
    }

    private Dictionary<string, string?> CommonSettings => new()
    {
        ["FastAttn:Cluster:Clustering"] = "redis",
        ["FastAttn:Cluster:Redis"] = _redis.Connection,
        ["FastAttn:Cluster:ClusterId"] = _clusterId,
        ["FastAttn:Cluster:ServiceId"] = _clusterId,
        ["FastAttn:Cluster:ResultStore"] = ResultStore,
        ["FastAttn:Cluster:PollInterval"] = "00:00:00.100",
    };

    private async Task StartClientAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(CommonSettings);
        builder.AddFastAttnClusterClient();
        _client = builder.Build();
        await _client.StartAsync();
    }

    /// <summary>The live workers' reports, by host.</summary>
    public async Task<Dictionary<string, WorkerReport>> WorkersAsync() =>
        (await Client.GetWorkersAsync()).ToDictionary(w => w.Host, StringComparer.Ordinal);

    /// <summary>Waits until job <paramref name="jobId"/> is generating on a host (its worker reports it running); returns the host.</summary>
    public async Task<string> WaitUntilGeneratingAsync(string jobId)
    {
        string host = "";
        await EventuallyAsync(async () =>
        {
            var s = await Client.GetAsync(jobId);
            host = s.Host ?? "";
            return s.Status == JobStatus.Dispatched && (await WorkersAsync()).TryGetValue(host, out var w) && w.Running == 1;
        }, $"job {jobId} generating");
        return host;
    }

    /// <summary>Polls until <paramref name="condition"/> holds (or fails after <paramref name="seconds"/>).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Timed out waiting for: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>The silos' logs, for a failing test's message.</summary>
    public string Logs => string.Join("\n", _silos.Values.Select(s => $"===== {s.Host} =====\n{s.Log}"));

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try { await _client.StopAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
            _client.Dispose();
        }
        foreach (var silo in _silos.Values) silo.Dispose();
        _redis.Dispose();
        if (Environment.GetEnvironmentVariable("FASTATTN_KEEP_TEST_CLUSTER") is null)
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
