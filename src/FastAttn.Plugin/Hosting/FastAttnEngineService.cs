using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.Channels;
using FastAttn.Engine.Compression;
using FastAttn.Plugin.Diagnostics;
using FastAttn.Plugin.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// The hosted engine: owns the device, takes generation jobs through a bounded queue, runs
/// <see cref="FastAttnOptions.Concurrency"/> of them at a time, and completes each through its task. Models and plans
/// load lazily (or at start with <see cref="FastAttnOptions.WarmUp"/>). A full queue fails at once; cancellation (the
/// caller's or the host's) stops a job within one denoising step; a failing job fails only its own task.
/// Works inside a generic host (as a hosted service) and without one (workers start with the first request).
/// </summary>
public sealed class FastAttnEngineService : BackgroundService, IFastAttnEngine
{
    private readonly FastAttnOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Job> _queue;
    private readonly ModelRegistry _models;
    private readonly OutputStore _output;
    private readonly FastAttnTelemetry _telemetry;
    private readonly ConcurrentDictionary<PlanKey, Lazy<Task<(CompressionPlan Plan, string Path)?>>> _plans = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _startLock = new();
    private Task[]? _workers;
    private int _running;

    /// <summary>Creates the engine.</summary>
    public FastAttnEngineService(IOptions<FastAttnOptions> options, ILoggerFactory? loggers = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        loggers ??= NullLoggerFactory.Instance;
        _logger = loggers.CreateLogger<FastAttnEngineService>();
        _queue = Channel.CreateBounded<Job>(new BoundedChannelOptions(_options.QueueLength) { FullMode = BoundedChannelFullMode.Wait });
        _models = new ModelRegistry(_options, loggers);
        _output = new OutputStore(_options, _logger);
        _telemetry = new FastAttnTelemetry(() => _queue.Reader.Count, meterFactory);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ModelNames => _models.Names;

    /// <inheritdoc />
    public string DefaultModel => _models.Resolve(null);

    /// <summary>The folder images are saved to.</summary>
    public string OutputDirectory => _output.Directory;

    /// <inheritdoc />
    public FastAttnEngineStatus Status => new(_queue.Reader.Count, _options.QueueLength, Volatile.Read(ref _running), _models.Loaded, _models.Failures);

    /// <inheritdoc />
    public async Task<IReadOnlyList<System.Drawing.Size>> GetSupportedSizesAsync(string? model = null, CancellationToken cancellationToken = default) =>
        (await _models.GetAsync(_models.Resolve(model), cancellationToken).ConfigureAwait(false)).Sizes;

    /// <inheritdoc />
    public Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        var model = _models.Resolve(request.Model);
        var (preset, delta) = CheckRequest(request);
        var job = new Job(request with { Model = model }, preset, delta, cancellationToken);
        if (!_queue.Writer.TryWrite(job))
        {
            _telemetry.Generations.Add(1, Tags(model, preset, "rejected"));
            throw new FastAttnQueueFullException(_options.QueueLength);
        }
        job.CancelWhileQueued();
        EnsureWorkers();
        return job.Completion.Task;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.RetainNativeMemory) FastAttn.Engine.Runtime.NativeAllocator.RetainFreedMemory();
        EnsureWorkers();
        if (_options.WarmUp)
        {
            try
            {
                var warm = new FastAttnImageRequest { Prompt = "", Model = _options.DefaultModel };
                var model = await _models.GetAsync(_options.DefaultModel, stoppingToken).ConfigureAwait(false);
                var (preset, delta) = CheckRequest(warm);
                if (delta > 0) await ResolvePlanAsync(model, model.Default(), preset, delta, stoppingToken).ConfigureAwait(false);
                _logger.LogInformation("FastAttn warmed up: model {Model} loaded", model.Name);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "FastAttn warm-up failed; the model will be loaded on the first request");
            }
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var job)) job.Completion.TrySetCanceled(_shutdown.Token);
        if (_workers is Task[] workers) await Task.WhenAll(workers).WaitAsync(cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (!_shutdown.IsCancellationRequested) _shutdown.Cancel();
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var job)) job.Completion.TrySetCanceled();
        try { if (_workers is Task[] workers) Task.WaitAll(workers, TimeSpan.FromSeconds(30)); }
        catch (AggregateException) { }
        _models.Dispose();
        _telemetry.Dispose();
        _shutdown.Dispose();
        base.Dispose();
    }

    private void EnsureWorkers()
    {
        if (_workers is not null) return;
        lock (_startLock)
        {
            _workers ??= Enumerable.Range(0, _options.Concurrency)
                .Select(_ => Task.Factory.StartNew(() => WorkerAsync(_shutdown.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
                .ToArray();
        }
    }

    private async Task WorkerAsync(CancellationToken shutdown)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(shutdown).ConfigureAwait(false))
                await RunJobAsync(job, shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested) { }
    }

    private async Task RunJobAsync(Job job, CancellationToken shutdown)
    {
        if (job.Completion.Task.IsCompleted) return;                                           // cancelled while queued
        var model = job.Request.Model!;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.CallerToken, shutdown);
        using var activity = FastAttnTelemetry.ActivitySource.StartActivity("fastattn.generate");
        activity?.SetTag("fastattn.model", model);
        activity?.SetTag("fastattn.preset", job.Preset);
        var wait = job.Queued.Elapsed;
        _telemetry.QueueWait.Record(wait.TotalSeconds, Tags(model, job.Preset, null));
        Interlocked.Increment(ref _running);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var result = await GenerateAsync(job, linked.Token).ConfigureAwait(false) with { QueueWait = wait };
            _telemetry.Generations.Add(1, Tags(model, job.Preset, "ok"));
            _telemetry.Images.Add(result.Images.Count, Tags(model, job.Preset, null));
            _telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, Tags(model, job.Preset, null));
            activity?.SetTag("fastattn.compressed", result.Compressed);
            activity?.SetTag("fastattn.attention_flops_fraction", result.AttentionFlopsFraction);
            job.Completion.TrySetResult(result);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            _telemetry.Generations.Add(1, Tags(model, job.Preset, "canceled"));
            activity?.SetStatus(ActivityStatusCode.Error, "canceled");
            job.Completion.TrySetCanceled(job.CallerToken.IsCancellationRequested ? job.CallerToken : shutdown);
        }
        catch (Exception e)
        {
            _telemetry.Generations.Add(1, Tags(model, job.Preset, e is FastAttnRequestException ? "rejected" : "error"));
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            if (e is FastAttnRequestException) _logger.LogInformation("FastAttn request refused: {Message}", e.Message);
            else _logger.LogError(e, "FastAttn generation failed for model {Model}", model);
            job.Completion.TrySetException(e);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task<FastAttnImageResult> GenerateAsync(Job job, CancellationToken cancellationToken)
    {
        var r = job.Request;
        var model = await _models.GetAsync(r.Model!, cancellationToken).ConfigureAwait(false);
        int steps = r.Steps ?? model.Steps;
        double guidance = r.GuidanceScale ?? model.GuidanceScale;
        long seed = r.Seed ?? Random.Shared.NextInt64(0, int.MaxValue);
        var generation = model.Prepare(r, steps, guidance, seed, _options.AllowResize);
        var notes = new List<string>();
        (CompressionPlan Plan, string Path)? plan = null;
        if (job.Delta > 0)
        {
            plan = await ResolvePlanAsync(model, generation, job.Preset, job.Delta, cancellationToken).ConfigureAwait(false);
            if (plan is null)
                notes.Add($"No DiTFastAttn plan for {job.Preset} with these settings ({generation.Settings}); ran uncompressed. " +
                          "Run `fastattn search` for them, or enable FastAttn:SearchOnDemand.");
        }
        if (generation.ResizeNote is string resized) notes.Add(resized);
        var stopwatch = Stopwatch.StartNew();
        var pngs = await Task.Factory.StartNew(() => generation.Render(plan?.Plan, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        var elapsed = stopwatch.Elapsed;
        var images = pngs.Select((png, i) => new FastAttnImage(png, _output.Save(png, model.Name, generation.Subject, generation.SeedFor(i)), generation.SeedFor(i),
            generation.Subject, generation.ClassId)).ToArray();
        double fraction = plan?.Plan.Flops?.ModuleFraction ?? 1.0;
        if (plan is not null) _telemetry.FlopsSaved.Add(generation.RawAttentionFlops * (1 - fraction), Tags(model.Name, job.Preset, null));
        return new FastAttnImageResult
        {
            Images = images,
            Model = model.Name,
            Preset = job.Preset,
            Compressed = plan is not null,
            PlanPath = plan?.Path,
            AttentionFlopsFraction = fraction,
            Width = generation.Width,
            Height = generation.Height,
            Resized = generation.ResizeNote is not null,
            Steps = steps,
            Scheduler = generation.Scheduler,
            GuidanceScale = guidance,
            Elapsed = elapsed,
            Notes = notes,
        };
    }

    /// <summary>The cached plan for the generation's key (user plan folder, then the model's shipped plans), searched now if allowed.</summary>
    private async Task<(CompressionPlan Plan, string Path)?> ResolvePlanAsync(ServedModel model, ServedGeneration generation, string preset, double delta,
        CancellationToken cancellationToken)
    {
        var search = generation.SearchOptions(delta);
        var key = generation.KeyFor(search, model.Fingerprint);
        var folders = new List<string> { _options.PlanDirectory ?? PlanLookup.DefaultDirectory };
        folders.AddRange(model.ShippedPlans);
        var lazy = _plans.GetOrAdd(key, _ => new Lazy<Task<(CompressionPlan, string)?>>(() => Task.Factory.StartNew(() =>
        {
            if (PlanLookup.Find(key, folders) is var (found, path)) return ((CompressionPlan, string)?)(found, path);
            if (!_options.SearchOnDemand) return null;
            _logger.LogInformation("Searching the DiTFastAttn plan for {Model} {Preset} (SearchOnDemand)", model.Name, preset);
            var plan = generation.Search(search, _shutdown.Token);
            return (plan, new PlanDirectory(folders[0]).Save(plan));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        try
        {
            var found = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (found is null) _plans.TryRemove(new KeyValuePair<PlanKey, Lazy<Task<(CompressionPlan Plan, string Path)?>>>(key, lazy));   // a plan added later is found
            return found;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _plans.TryRemove(new KeyValuePair<PlanKey, Lazy<Task<(CompressionPlan Plan, string Path)?>>>(key, lazy));
            throw;
        }
    }

    /// <summary>Checks a request against the limits before it is queued; returns its preset label and δ.</summary>
    private (string Preset, double Delta) CheckRequest(FastAttnImageRequest r)
    {
        var l = _options.Limits;
        if (r.Prompt is null) throw new FastAttnRequestException("The prompt is missing.", "prompt");
        if (r.Prompt.Length > l.MaxPromptLength) throw new FastAttnRequestException($"The prompt has {r.Prompt.Length} characters; the limit is {l.MaxPromptLength}.", "prompt");
        if (r.Count < 1 || r.Count > l.MaxImages) throw new FastAttnRequestException($"Ask for 1 to {l.MaxImages} images (got {r.Count}).", "count");
        if (r.Steps is int s && (s < 1 || s > l.MaxSteps)) throw new FastAttnRequestException($"Steps must be within 1..{l.MaxSteps} (got {s}).", "steps");
        if (r.GuidanceScale is double g && (double.IsNaN(g) || g < 1 || g > l.MaxGuidanceScale))
            throw new FastAttnRequestException($"The guidance scale must be within 1..{l.MaxGuidanceScale} (got {g}).", "guidance");
        foreach (var side in new[] { r.Width, r.Height })
            if (side is int px && (px < 1 || px > l.MaxSize)) throw new FastAttnRequestException($"Image sides must be within 1..{l.MaxSize} pixels (got {px}).", "size");
        if (r.Threshold is double t)
        {
            if (t < 0 || double.IsNaN(t)) throw new FastAttnRequestException($"The threshold δ must be ≥ 0 (got {t}).", "threshold");
            return (CompressionPresets.NameOf(t) ?? $"δ={t.ToString("0.####", CultureInfo.InvariantCulture)}", t);
        }
        if (r.Preset is null && _options.Threshold is double ot) return (CompressionPresets.NameOf(ot) ?? $"δ={ot.ToString("0.####", CultureInfo.InvariantCulture)}", ot);
        var preset = (r.Preset ?? _options.Preset).Trim();
        if (!FastAttnOptionsValidator.IsPreset(preset))
            throw new FastAttnRequestException($"Unknown quality preset '{preset}'. Use raw (best quality) or D1 (mild) to D6 (fastest).", "preset");
        double delta = CompressionPresets.Threshold(preset);
        return (delta == 0 ? "raw" : preset.ToUpperInvariant(), delta);
    }

    private static TagList Tags(string model, string preset, string? outcome)
    {
        var tags = new TagList { { "fastattn.model", model }, { "fastattn.preset", preset } };
        if (outcome is not null) tags.Add("fastattn.outcome", outcome);
        return tags;
    }

    /// <summary>A queued job.</summary>
    private sealed class Job(FastAttnImageRequest request, string preset, double delta, CancellationToken callerToken)
    {
        public FastAttnImageRequest Request { get; } = request;

        public string Preset { get; } = preset;

        public double Delta { get; } = delta;

        public CancellationToken CallerToken { get; } = callerToken;

        public Stopwatch Queued { get; } = Stopwatch.StartNew();

        public TaskCompletionSource<FastAttnImageResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>A caller that gives up while the job waits gets its task cancelled at once (the worker then skips it).</summary>
        public void CancelWhileQueued()
        {
            if (!CallerToken.CanBeCanceled) return;
            var registration = CallerToken.Register(() => Completion.TrySetCanceled(CallerToken));
            Completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
    }
}
