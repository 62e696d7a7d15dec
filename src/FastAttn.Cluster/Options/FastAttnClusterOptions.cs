namespace FastAttn.Cluster.Options;

/// <summary>
/// Configuration of FastAttn's scale-out (section <c>"FastAttn:Cluster"</c>), read by silos (GPU hosts) and clients
/// (the apps that call them). Engine settings (models, presets, plans, limits) stay under <c>"FastAttn"</c>.
/// </summary>
public sealed class FastAttnClusterOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "FastAttn:Cluster";

    /// <summary>
    /// How hosts find each other: <c>none</c> (no cluster: a local engine), <c>localhost</c> (silos on this machine,
    /// the first on <see cref="PrimarySiloPort"/>) or <c>redis</c> (membership in <see cref="Redis"/>; real deployments).
    /// </summary>
    public string Clustering { get; set; } = "none";

    /// <summary>The Redis connection string (clustering, jobs and plans), e.g. <c>redis.internal:6379,password=…</c>.</summary>
    public string Redis { get; set; } = "127.0.0.1:6379";

    /// <summary>The cluster's id: silos and clients with the same id form one cluster.</summary>
    public string ClusterId { get; set; } = "fastattn";

    /// <summary>The service's id (keys of persisted jobs and plans).</summary>
    public string ServiceId { get; set; } = "fastattn";

    /// <summary>This host's name (silo name; worker grains are keyed "host/device"). Default: the machine name.</summary>
    public string? HostName { get; set; }

    /// <summary>This host's devices, one worker each: <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>, … (default one, <c>auto</c>).</summary>
    public List<string> Devices { get; set; } = [];

    /// <summary>
    /// The shared result store: a folder every host writes and every client reads (an NFS/SMB mount, or a local folder
    /// when all run on one machine). Jobs write <c>{store}/{jobId}/image-0.png</c>, … Required.
    /// </summary>
    public string? ResultStore { get; set; }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>localhost clustering: the first silo's port, which the others join.</summary>
    public int PrimarySiloPort { get; set; } = 11111;

    /// <summary>The address other hosts reach this one at (redis clustering; default: this machine's first IPv4 address).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>How often workers report their models and load to the registry.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A worker not heard from for this long is not routed to.</summary>
    public TimeSpan WorkerExpiry { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A job no live host can take for this long fails (no host serves its model).</summary>
    public TimeSpan DispatchTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a job checks that its host is alive and still has it.</summary>
    public TimeSpan JobWatchInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long finished jobs are kept in Redis (their files stay in the result store).</summary>
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A plan search whose host has not renewed its lease for this long (the host renews it every quarter of it while
    /// searching) is taken over by the next host that needs the plan.
    /// </summary>
    public TimeSpan PlanLeaseTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a job rides out unreachable storage (Redis restarting) before the write fails: its saves are retried until
    /// then, so a job that finishes while Redis is down is recorded once Redis is back.
    /// </summary>
    public TimeSpan StorageRetry { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Clients: how often a waiting call polls its job.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Membership: how long a probe of another silo may take (short values find dead hosts sooner).</summary>
    public TimeSpan? ProbeTimeout { get; set; }

    /// <summary>Membership: missed probes before a silo is suspected.</summary>
    public int? MissedProbesLimit { get; set; }

    /// <summary>Membership: suspicions from this many silos declare a silo dead (Orleans' default 2; 1 reacts fastest in small clusters).</summary>
    public int? DeathVotes { get; set; }

    /// <summary>TLS for silo-to-silo and client-to-silo connections (<c>FastAttn:Cluster:Tls</c>; off unless enabled).</summary>
    public FastAttnTlsOptions Tls { get; set; } = new();

    /// <summary>The <c>FastAttn:Cluster</c> section of <paramref name="configuration"/> (defaults where it is absent).</summary>
    public static FastAttnClusterOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Microsoft.Extensions.Configuration.ConfigurationBinder.Get<FastAttnClusterOptions>(configuration.GetSection(SectionName))
            ?? new FastAttnClusterOptions();
    }

    /// <summary>The device list with its default.</summary>
    public IReadOnlyList<string> DeviceList => Devices.Count > 0 ? Devices : ["auto"];

    /// <summary>The clustering mode, checked.</summary>
    public ClusteringMode Mode => Clustering.Trim().ToLowerInvariant() switch
    {
        "none" or "" => ClusteringMode.None,
        "localhost" => ClusteringMode.Localhost,
        "redis" => ClusteringMode.Redis,
        var other => throw new InvalidOperationException($"FastAttn:Cluster:Clustering is '{other}'; use none, localhost or redis."),
    };

    /// <summary>The result store's folder (a <c>file://</c> URI or a path), checked.</summary>
    public string ResultStorePath
    {
        get
        {
            if (string.IsNullOrWhiteSpace(ResultStore))
                throw new InvalidOperationException("FastAttn:Cluster:ResultStore is not set: name the folder (shared by every host and client) " +
                    "that results go to.");
            return Path.GetFullPath(Uri.TryCreate(ResultStore, UriKind.Absolute, out var uri) && uri.IsFile ? uri.LocalPath : ResultStore);
        }
    }
}

/// <summary>How hosts find each other.</summary>
public enum ClusteringMode
{
    /// <summary>No cluster.</summary>
    None,

    /// <summary>Silos on one machine.</summary>
    Localhost,

    /// <summary>Membership in Redis.</summary>
    Redis,
}
