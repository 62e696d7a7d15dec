using System.Diagnostics.Metrics;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using FastAttn.Plugin.Diagnostics;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// The local engine: owns the device, checks each request (<see cref="RequestPolicy"/>), queues it (<see cref="JobQueue"/>),
/// and runs it through the Engine's model-family seam (<see cref="GenerationRunner"/>), batching queued requests that can
/// share a forward (<see cref="FastAttnOptions.MaxBatch"/>, docs/batching.md). Models load lazily through the
/// <see cref="ModelFamilyRegistry"/> (or at start with <see cref="FastAttnOptions.WarmUp"/>); plans come from a
/// <see cref="PlanResolver"/> living as long as the host. Works inside a generic host (as a hosted service) and without
/// one (workers start with the first request). Metrics and traces are a decorator (<c>UseTelemetry</c>).
/// </summary>
public sealed class FastAttnEngineService : BackgroundService, IFastAttnEngine
{
    private readonly FastAttnOptions _options;
    private readonly ILogger _logger;
    private readonly JobQueue _queue;
    private readonly ModelRegistry _models;
    private readonly RequestPolicy _policy;
    private readonly PlanResolver _plans;
    private readonly GenerationRunner _runner;
    private readonly ResultAssembly _results;
    private readonly FastAttnBatchTelemetry _batchTelemetry;
    private readonly BatchStatistics _batches;
    private readonly GenerationThreads _threads;

    /// <summary>
    /// Creates the engine. <paramref name="sharedPlans"/> (optional) shares plans and searches with other engines;
    /// <paramref name="families"/> are the model families it loads (default <see cref="ModelFamilyRegistry.Default"/>);
    /// <paramref name="costModel"/> the attention costs its models plan with (null: each model measures its own);
    /// <paramref name="meterFactory"/> makes the meter of its batch instruments; <paramref name="time"/> times
    /// <see cref="FastAttnOptions.BatchWindow"/> (default the system's); <paramref name="outputStreams"/> opens the files results are
    /// written to (default: the disk).
    /// </summary>
    public FastAttnEngineService(IOptions<FastAttnOptions> options, ILoggerFactory? loggers = null, ISharedPlanStore? sharedPlans = null,
        ModelFamilyRegistry? families = null, IAttentionCostModel? costModel = null, IMeterFactory? meterFactory = null,
        TimeProvider? time = null, IFastAttnOutputStreams? outputStreams = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        loggers ??= NullLoggerFactory.Instance;
        _logger = loggers.CreateLogger<FastAttnEngineService>();
        _models = new ModelRegistry(_options, families ?? ModelFamilyRegistry.Default, loggers, costModel);
        _policy = new RequestPolicy(_options);
        _batchTelemetry = new FastAttnBatchTelemetry(meterFactory);
        _batches = new BatchStatistics(_batchTelemetry);
        _results = new ResultAssembly(new OutputStore(_options, _logger, outputStreams));
        var failures = new JobFailures(_logger);
        var policy = new BatchPolicy(_options.MaxBatch, _options.BatchWindow, _options.MaxBatchBytes);
        BatchWorker? worker = null;
        _queue = new JobQueue(_options.QueueLength, _options.Concurrency, (queue, ct) => worker!.RunOnceAsync(queue, ct));
        var resolver = new PlanResolverOptions { UserFolder = _options.PlanDirectory ?? PlanLookup.DefaultDirectory,
            SearchOnDemand = _options.SearchOnDemand };
        _plans = new PlanResolver(resolver, sharedPlans, loggers.CreateLogger<PlanResolver>(), _queue.Stopping);
        _runner = new GenerationRunner(_models, _plans);
        var trimmer = new NativeHeapTrimmer(_options.RetainNativeMemory ? _options.NativeTrimInterval : null, time ?? TimeProvider.System,
            _logger);
        _threads = new GenerationThreads(_options.Concurrency, trimmer.TrimIfDue);
        worker = new BatchWorker(new BatchFormer(policy, _runner, failures, time ?? TimeProvider.System), failures, _batches, _threads);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ModelNames => _models.Names;

    /// <inheritdoc />
    public string DefaultModel => _models.Resolve(null);

    /// <inheritdoc />
    public string? DefaultVideoModel => _options.DefaultVideoModel;

    /// <summary>The folder images are saved to.</summary>
    public string OutputDirectory => _results.Directory;

    /// <inheritdoc />
    public FastAttnEngineStatus Status => new(_queue.Depth, _queue.Capacity, _queue.Running, _models.Loaded, _models.Failures)
    {
        Concurrency = _options.Concurrency,
        ModelLoads = _models.Loads,
        PlanSearches = _plans.Searches,
        MaxBatch = _options.MaxBatch,
        Batches = _batches.Batches,
        MeanBatchSize = _batches.MeanBatchSize,
        AbandonedResults = _results.Abandoned,
    };

    /// <inheritdoc />
    public async Task<IReadOnlyList<System.Drawing.Size>> GetSupportedSizesAsync(string? model = null,
        CancellationToken cancellationToken = default) =>
        (await _models.GetAsync(_models.Resolve(model), cancellationToken).ConfigureAwait(false)).Defaults.Sizes;

    /// <inheritdoc />
    public Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_queue.IsStopped, this);
        cancellationToken.ThrowIfCancellationRequested();
        var model = _models.Resolve(request.Model);
        var quality = _policy.Check(request);
        var generation = _policy.ToGeneration(request, quality);
        return _queue.Enqueue(new GenerationJob<FastAttnImageResult>(model, generation, OutputKind.Image, quality, cancellationToken,
            _results.Images) { Progress = request.Progress, Abandoned = _results.Discard });
    }

    /// <inheritdoc />
    public Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_queue.IsStopped, this);
        cancellationToken.ThrowIfCancellationRequested();
        var name = request.Model ?? _options.DefaultVideoModel ?? throw new FastAttnRequestException(
            "No video model: name one, or configure FastAttn:DefaultVideoModel (a text-to-video model under FastAttn:Models).", "model");
        var model = _models.Resolve(name);
        var quality = _policy.Check(request);
        var generation = RequestPolicy.ToGeneration(request, quality);
        return _queue.Enqueue(new GenerationJob<FastAttnVideoResult>(model, generation, OutputKind.Video, quality, cancellationToken,
            _results.Clip) { Progress = request.Progress, Abandoned = _results.Discard });
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.RetainNativeMemory) Engine.Runtime.NativeAllocator.RetainFreedMemory();
        if (_options.Threads is int threads) TorchSharp.torch.set_num_threads(threads);
        _queue.EnsureWorkers();
        if (!_options.WarmUp) return;
        try
        {
            var quality = _policy.Check(new FastAttnImageRequest { Prompt = "" });
            var model = await _runner.WarmUpAsync(_models.Resolve(null), quality, stoppingToken).ConfigureAwait(false);
            _logger.LogInformation("FastAttn warmed up: model {Model} loaded", model);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "FastAttn warm-up failed; the model will be loaded on the first request");
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _queue.StopAsync(cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _queue.Dispose();
        _threads.Dispose();
        _models.Dispose();
        _batchTelemetry.Dispose();
        base.Dispose();
    }
}
