using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// The local engine: owns the device, checks each request (<see cref="RequestPolicy"/>), queues it (<see cref="JobQueue"/>),
/// and runs it through the Engine's model-family seam (<see cref="GenerationRunner"/>). Models load lazily through the
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

    /// <summary>
    /// Creates the engine. <paramref name="sharedPlans"/> (optional) shares plans and searches with other engines;
    /// <paramref name="families"/> are the model families it loads (default <see cref="ModelFamilyRegistry.Default"/>).
    /// </summary>
    public FastAttnEngineService(IOptions<FastAttnOptions> options, ILoggerFactory? loggers = null, ISharedPlanStore? sharedPlans = null,
        ModelFamilyRegistry? families = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        loggers ??= NullLoggerFactory.Instance;
        _logger = loggers.CreateLogger<FastAttnEngineService>();
        _queue = new JobQueue(_options.QueueLength, _options.Concurrency, _logger);
        _models = new ModelRegistry(_options, families ?? ModelFamilyRegistry.Default, loggers);
        _policy = new RequestPolicy(_options);
        var resolver = new PlanResolverOptions { UserFolder = _options.PlanDirectory ?? PlanLookup.DefaultDirectory,
            SearchOnDemand = _options.SearchOnDemand };
        _plans = new PlanResolver(resolver, sharedPlans, loggers.CreateLogger<PlanResolver>(), _queue.Stopping);
        _results = new ResultAssembly(new OutputStore(_options, _logger));
        _runner = new GenerationRunner(_models, _plans, _results);
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
        return _queue.Enqueue(new GenerationJob<FastAttnImageResult>(model, cancellationToken,
            (wait, ct) => _runner.ImagesAsync(model, generation, quality, wait, ct)));
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
        return _queue.Enqueue(new GenerationJob<FastAttnVideoResult>(model, cancellationToken,
            (wait, ct) => _runner.ClipAsync(model, generation, quality, wait, ct)));
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
        _models.Dispose();
        base.Dispose();
    }
}
