using System.Net;
using System.Net.Sockets;
using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Options;
using FastAttn.Cluster.Placement;
using FastAttn.Cluster.Security;
using FastAttn.Engine.Compression;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using StackExchange.Redis;

namespace FastAttn.Cluster.Hosting;

/// <summary>Turns a host into a FastAttn silo: one worker grain per device, serving the models of its configuration.</summary>
public static class FastAttnSiloExtensions
{
    /// <summary>
    /// Makes this host a FastAttn silo: Orleans with the clustering of <c>FastAttn:Cluster</c> (localhost, or Redis with jobs
    /// and plans persisted there), the host's name and endpoints, and <see cref="AddFastAttnWorkers"/>. Engine settings
    /// (models this host can load, presets, limits) come from <c>FastAttn</c>.
    /// </summary>
    public static IHostApplicationBuilder AddFastAttnSilo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var cluster = FastAttnClusterOptions.From(builder.Configuration);
        builder.Services.AddOptions<FastAttnClusterOptions>().Bind(builder.Configuration.GetSection(FastAttnClusterOptions.SectionName));
        builder.Services.AddOptions<FastAttnOptions>().Bind(builder.Configuration.GetSection(FastAttnOptions.SectionName));
        builder.UseOrleans(silo =>
        {
            switch (cluster.Mode)
            {
                case ClusteringMode.Localhost:
                    silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, new IPEndPoint(IPAddress.Loopback, cluster.PrimarySiloPort),
                        cluster.ServiceId, cluster.ClusterId);
                    silo.AddMemoryGrainStorage(ClusterStorage.Jobs);
                    silo.AddMemoryGrainStorage(ClusterStorage.Plans);
                    break;
                case ClusteringMode.Redis:
                    var redis = ConfigurationOptions.Parse(cluster.Redis);
                    silo.UseRedisClustering(o => o.ConfigurationOptions = redis);
                    silo.Configure<ClusterOptions>(o => { o.ClusterId = cluster.ClusterId; o.ServiceId = cluster.ServiceId; });
                    silo.ConfigureEndpoints(AdvertisedAddress(cluster), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
                    silo.AddRedisGrainStorage(ClusterStorage.Jobs, o => { o.ConfigurationOptions = redis; o.EntryExpiry = cluster.JobRetention; });
                    silo.AddRedisGrainStorage(ClusterStorage.Plans, o => o.ConfigurationOptions = redis);
                    break;
                default:
                    throw new InvalidOperationException("FastAttn:Cluster:Clustering is 'none': a silo needs 'localhost' or 'redis'.");
            }
            silo.Configure<SiloOptions>(o => o.SiloName = cluster.HostName ?? Environment.MachineName);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                if (cluster.ProbeTimeout is TimeSpan probe) o.ProbeTimeout = probe;
                if (cluster.MissedProbesLimit is int missed) o.NumMissedProbesLimit = missed;
                if (cluster.DeathVotes is int votes) o.NumVotesForDeathDeclaration = votes;
            });
            if (cluster.Tls.Enabled) silo.UseFastAttnTls(cluster.Tls);
            silo.AddFastAttnWorkers();
        });
        return builder;
    }

    /// <summary>
    /// Adds FastAttn's grains and services to a silo whose clustering and grain storages (<see cref="ClusterStorage"/>) are
    /// configured elsewhere (e.g. a TestCluster): an engine per device, the shared result store and plans, host placement
    /// of worker grains, and their activation when the silo starts.
    /// </summary>
    public static ISiloBuilder AddFastAttnWorkers(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var services = silo.Services;
        services.AddOptions<FastAttnClusterOptions>();
        services.AddOptions<FastAttnOptions>().ValidateOnStart();
        services.AddFastAttnEngineFactory();
        services.TryAddSingleton<ResultStore>();
        services.TryAddSingleton<ISharedPlanStore, ClusterPlanStore>();
        services.TryAddSingleton<DeviceEngines>();
        services.TryAddSingleton<WorkerHeartbeat>();
        services.TryAddKeyedSingleton(ClusterStorage.PlanLeaseClock, TimeProvider.System);
        services.AddHostedService(sp => sp.GetRequiredService<DeviceEngines>());
        services.AddSerializer(s => s.AddFastAttnContracts());
        silo.AddPlacementDirector<HostPlacement, HostPlacementDirector>();
        silo.AddStartupTask(StartWorkersAsync);
        return silo;
    }

    /// <summary>Activates this host's worker grains, so they report to the registry before any job arrives, and starts the heartbeat.</summary>
    private static async Task StartWorkersAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var grains = services.GetRequiredService<IGrainFactory>();
        var host = services.GetRequiredService<ILocalSiloDetails>().Name;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FastAttnSiloExtensions).FullName!);
        foreach (var device in services.GetRequiredService<DeviceEngines>().Devices)
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await grains.GetGrain<IDeviceWorkerGrain>($"{host}/{device}").GetReportAsync().WaitAsync(cancellationToken);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException && attempt < 30)
                {
                    logger.LogDebug(e, "Worker {Host}/{Device} not placed yet; retrying", host, device);
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
            }
        }
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(() => services.GetRequiredService<WorkerHeartbeat>().RunAsync(stopping), CancellationToken.None);
        logger.LogInformation("FastAttn host {Host} serves devices {Devices}", host, string.Join(", ",
            services.GetRequiredService<DeviceEngines>().Devices));
    }

    private static IPAddress AdvertisedAddress(FastAttnClusterOptions cluster)
    {
        if (cluster.AdvertisedAddress is string configured)
            return IPAddress.TryParse(configured, out var ip) ? ip
                : throw new InvalidOperationException($"FastAttn:Cluster:AdvertisedAddress '{configured}' is not an IP address.");
        return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
    }
}
