using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Hosting;
using FastAttn.Cluster.Options;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.TestingHost;
using Xunit;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>
/// Orleans' TestCluster: two silos in this process (hosts "Primary" and "Secondary_1"), memory grain storage, each
/// serving tiny-mnist, the random model "A" and a tiny random Open-Sora "clip", one shared result store. For the paths that need no process boundary.
/// </summary>
public sealed class InProcessCluster : IAsyncLifetime
{
    private static string _root = "";

    public TestCluster Cluster { get; private set; } = null!;

    public static string Root => _root;

    public static string ResultStore => Path.Combine(_root, "results");

    /// <summary>The clock both silos time plan leases by.</summary>
    public static ManualClock LeaseClock { get; } = new();

    public async Task InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("fastattn-testcluster").FullName;
        TinyRandomModels.Write(Path.Combine(_root, "models"), "A", seed: 11);
        FastAttn.Engine.Tests.Support.TinyOpenSoraFolder.Write(Path.Combine(_root, "models", "clip"), Path.Combine(AppContext.BaseDirectory, "TestData"));
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await MultiHostCluster.EventuallyAsync(async () => (await Cluster.Client.GetGrain<IWorkerRegistryGrain>(0).GetWorkersAsync()).Count == 2, "both workers reporting");
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddMemoryGrainStorage(ClusterStorage.Jobs);
            silo.AddMemoryGrainStorage(ClusterStorage.Plans);
            silo.Services.Configure<FastAttnClusterOptions>(o =>
            {
                o.ResultStore = ResultStore;
                o.Devices = ["cpu"];
                o.PollInterval = TimeSpan.FromMilliseconds(50);
                o.PlanLeaseTimeout = TimeSpan.FromSeconds(4);
            });
            var id = Guid.NewGuid().ToString("N")[..6];
            silo.Services.Configure<FastAttnOptions>(o =>
            {
                o.Device = "cpu";
                o.Models["A"] = new FastAttnModelOptions { Path = Path.Combine(Root, "models", "A") };
                o.Models["clip"] = new FastAttnModelOptions { Path = Path.Combine(Root, "models", "clip"), Steps = 3 };
                o.DefaultVideoModel = "clip";
                o.SearchOnDemand = true;
                o.QueueLength = 4;
                o.MaxBatch = 3;                                                                 // reaches each device's engine
                o.Limits.MaxSteps = 1000;
                o.PlanDirectory = Path.Combine(Root, "plans-" + id);
                o.OutputDirectory = Path.Combine(Root, "local-" + id);
            });
            silo.Services.AddKeyedSingleton<TimeProvider>(ClusterStorage.PlanLeaseClock, LeaseClock);
            silo.AddFastAttnWorkers();
            RecordingEngineFactory.Decorate(silo.Services);
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client) => client.Services.AddSerializer(s => s.AddFastAttnContracts());
    }
}
