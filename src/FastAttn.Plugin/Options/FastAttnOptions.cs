namespace FastAttn.Plugin.Options;

/// <summary>
/// Configuration of the FastAttn engine service (section <c>"FastAttn"</c>): which models it serves, how much DiTFastAttn
/// compression it applies, where plans and images go, and the limits it enforces on requests (which may come from an LLM).
/// </summary>
public sealed class FastAttnOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "FastAttn";

    /// <summary>Models by name. The built-in <c>tiny-mnist</c> is always available without an entry.</summary>
    public Dictionary<string, FastAttnModelOptions> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The model used when a request names none (default: the built-in <c>tiny-mnist</c>).</summary>
    public string DefaultModel { get; set; } = "tiny-mnist";

    /// <summary>Quality preset: <c>raw</c> (no compression) or <c>D1</c>..<c>D6</c> (more compression). Ignored when <see cref="Threshold"/> is
    /// set.</summary>
    public string Preset { get; set; } = "D2";

    /// <summary>The model video requests use when they name none (a text-to-video model configured under <see cref="Models"/>).</summary>
    public string? DefaultVideoModel { get; set; }

    /// <summary>Quality preset of video requests that name none: raw, V1..V5 (the paper's video thresholds) or D1..D6.</summary>
    public string VideoPreset { get; set; } = "V2";

    /// <summary>A custom plan-search threshold δ instead of a preset.</summary>
    public double? Threshold { get; set; }

    /// <summary>Compute device: <c>auto</c>, <c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Folder of cached plans (default: $FASTATTN_PLAN_DIR or ~/.cache/fastattn/plans). Shipped plans are searched after it.</summary>
    public string? PlanDirectory { get; set; }

    /// <summary>Folder the generated PNGs are written to (default: the temp folder's <c>fastattn-images</c>).</summary>
    public string? OutputDirectory { get; set; }

    /// <summary>Jobs that may wait for the device; a request beyond it fails at once with <see cref="Hosting.FastAttnQueueFullException"/>.</summary>
    public int QueueLength { get; set; } = 16;

    /// <summary>Generations that run at the same time (1 per device is fastest on CPU).</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>
    /// Items (images or clips) that may share one run of the model: queued requests on the same model with the same size,
    /// steps, sampler, guidance and plan are batched up to this many (a request for more runs alone). 1 turns batching off.
    /// Default 8: on a CPU, tiny-mnist costs about 0.10 s per image in a batch of 8 against 0.25 s alone.
    /// </summary>
    public int MaxBatch { get; set; } = 8;

    /// <summary>
    /// How long a batch that is not full waits for more requests before it runs (default zero: it runs with what is
    /// queued when a worker frees up, so a lone request is never delayed).
    /// </summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Cap on a batch's estimated working memory (the family's per-item estimate × items; a request alone always runs).
    /// Default 2 GiB.
    /// </summary>
    public long MaxBatchBytes { get; set; } = 2L << 30;

    /// <summary>When no plan is cached for a request's settings, search it now (minutes) instead of running uncompressed.</summary>
    public bool SearchOnDemand { get; set; }

    /// <summary>Load the default model and its plan when the host starts instead of on the first request.</summary>
    public bool WarmUp { get; set; }

    /// <summary>
    /// Keep freed native memory for reuse instead of returning it to the OS after every tensor (Linux/glibc; see
    /// <c>NativeAllocator</c>): CPU generation runs 10–20% faster, and the process keeps its peak heap. Default true.
    /// </summary>
    public bool RetainNativeMemory { get; set; } = true;

    /// <summary>
    /// With <see cref="RetainNativeMemory"/>: return the retained free native memory to the OS (glibc <c>malloc_trim</c>)
    /// after a generation, at most this often, so resident memory follows what is in use instead of creeping towards the
    /// heap's peak. Null: never. Default one minute (the pages are faulted in again once, a few milliseconds per trim).
    /// </summary>
    public TimeSpan? NativeTrimInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// LibTorch intra-op threads (<c>torch.set_num_threads</c>), set when the engine starts; default: LibTorch's (one per
    /// core). Process-wide: engines of one process (a host with one engine per device) share it, the last started wins.
    /// More threads speed up large batches and models; small ones stop gaining past a few cores. Give each of several
    /// hosts sharing a machine its share.
    /// </summary>
    public int? Threads { get; set; }

    /// <summary>Accept sizes other than a model's own by resizing its output (ImageSharp); the result says so.</summary>
    public bool AllowResize { get; set; }

    /// <summary>Limits on each request.</summary>
    public FastAttnLimits Limits { get; set; } = new();

    /// <summary>How long generated files are kept.</summary>
    public FastAttnRetention Retention { get; set; } = new();

    /// <summary>
    /// A copy of these options for one device of a host that runs one engine per device: <paramref name="device"/>, and
    /// images under a sub-folder named after it. A deep copy: the copies share no model entry, list or limits.
    /// </summary>
    public FastAttnOptions ForDevice(string device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        var copy = new FastAttnOptions
        {
            Models = new(Models.Select(p => KeyValuePair.Create(p.Key, p.Value?.Clone()!)), StringComparer.OrdinalIgnoreCase),
            DefaultModel = DefaultModel,
            Preset = Preset,
            DefaultVideoModel = DefaultVideoModel,
            VideoPreset = VideoPreset,
            Threshold = Threshold,
            PlanDirectory = PlanDirectory,
            QueueLength = QueueLength,
            Concurrency = Concurrency,
            MaxBatch = MaxBatch,
            BatchWindow = BatchWindow,
            MaxBatchBytes = MaxBatchBytes,
            SearchOnDemand = SearchOnDemand,
            WarmUp = WarmUp,
            RetainNativeMemory = RetainNativeMemory,
            NativeTrimInterval = NativeTrimInterval,
            Threads = Threads,
            AllowResize = AllowResize,
            Limits = Limits.Clone(),
            Retention = Retention.Clone(),
        };
        copy.Device = device;
        var folder = new string(device.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        copy.OutputDirectory = Path.Combine(OutputDirectory ?? Path.Combine(Path.GetTempPath(), "fastattn-images"), folder);
        return copy;
    }
}
