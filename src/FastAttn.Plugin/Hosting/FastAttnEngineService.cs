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
    private readonly ISharedPlanStore? _sharedPlans;
    private readonly ConcurrentDictionary<PlanKey, Lazy<Task<(CompressionPlan Plan, string Path)?>>> _plans = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _startLock = new();
    private Task[]? _workers;
    private int _running;
    private int _planSearches;

    /// <summary>Creates the engine; <paramref name="sharedPlans"/> (optional) shares plans and searches with other engines.</summary>
    public FastAttnEngineService(IOptions<FastAttnOptions> options, ILoggerFactory? loggers = null, IMeterFactory? meterFactory = null,
        ISharedPlanStore? sharedPlans = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        loggers ??= NullLoggerFactory.Instance;
        _logger = loggers.CreateLogger<FastAttnEngineService>();
        _queue = Channel.CreateBounded<Job>(new BoundedChannelOptions(_options.QueueLength) { FullMode = BoundedChannelFullMode.Wait });
        _models = new ModelRegistry(_options, loggers);
        _output = new OutputStore(_options, _logger);
        _telemetry = new FastAttnTelemetry(() => _queue.Reader.Count, meterFactory);
        _sharedPlans = sharedPlans;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ModelNames => _models.Names;

    /// <inheritdoc />
    public string DefaultModel => _models.Resolve(null);

    /// <summary>The model video requests use when they name none (null: none configured).</summary>
    public string? DefaultVideoModel => _options.DefaultVideoModel;

    /// <summary>The folder images are saved to.</summary>
    public string OutputDirectory => _output.Directory;

    /// <inheritdoc />
    public FastAttnEngineStatus Status => new(_queue.Reader.Count, _options.QueueLength, Volatile.Read(ref _running), _models.Loaded, _models.Failures)
    {
        Concurrency = _options.Concurrency,
        ModelLoads = _models.Loads,
        PlanSearches = Volatile.Read(ref _planSearches),
    };

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
        var job = new Job<FastAttnImageResult>(model, preset, delta, cancellationToken,
            (j, wait, ct) => GenerateImagesAsync(request with { Model = model }, j, wait, ct),
            r => new JobOutcome(r.Images.Count, r.Compressed, r.AttentionFlopsFraction));
        return Enqueue(job);
    }

    /// <inheritdoc />
    public Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        var name = request.Model ?? _options.DefaultVideoModel
            ?? throw new FastAttnRequestException("No video model: name one, or configure FastAttn:DefaultVideoModel (an Open-Sora folder under FastAttn:Models).", "model");
        var model = _models.Resolve(name);
        var (preset, delta) = CheckVideoRequest(request);
        var job = new Job<FastAttnVideoResult>(model, preset, delta, cancellationToken,
            (j, wait, ct) => GenerateClipAsync(request with { Model = model }, j, wait, ct),
            r => new JobOutcome(1, r.Compressed, r.AttentionFlopsFraction));
        return Enqueue(job);
    }

    /// <summary>Queues <paramref name="job"/> (image or video: one queue, one device) or fails at once when the queue is full.</summary>
    private Task<T> Enqueue<T>(Job<T> job)
    {
        if (!_queue.Writer.TryWrite(job))
        {
            _telemetry.Generations.Add(1, Tags(job.Model, job.Preset, "rejected"));
            throw new FastAttnQueueFullException(_options.QueueLength);
        }
        job.CancelWhileQueued();
        EnsureWorkers();
        return job.Task;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.RetainNativeMemory) FastAttn.Engine.Runtime.NativeAllocator.RetainFreedMemory();
        if (_options.Threads is int threads) TorchSharp.torch.set_num_threads(threads);
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
        while (_queue.Reader.TryRead(out var job)) job.Cancel(_shutdown.Token);
        if (_workers is Task[] workers) await Task.WhenAll(workers).WaitAsync(cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (!_shutdown.IsCancellationRequested) _shutdown.Cancel();
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var job)) job.Cancel(CancellationToken.None);
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
        if (job.IsCompleted) return;                                                           // cancelled while queued
        var model = job.Model;
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
            var outcome = await job.ExecuteAsync(wait, linked.Token).ConfigureAwait(false);
            _telemetry.Generations.Add(1, Tags(model, job.Preset, "ok"));
            _telemetry.Images.Add(outcome.Items, Tags(model, job.Preset, null));
            _telemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds, Tags(model, job.Preset, null));
            activity?.SetTag("fastattn.compressed", outcome.Compressed);
            activity?.SetTag("fastattn.attention_flops_fraction", outcome.AttentionFlopsFraction);
            job.Complete();                                                                    // after the metrics, so a caller sees them
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            _telemetry.Generations.Add(1, Tags(model, job.Preset, "canceled"));
            activity?.SetStatus(ActivityStatusCode.Error, "canceled");
            job.Cancel(job.CallerToken.IsCancellationRequested ? job.CallerToken : shutdown);
        }
        catch (Exception e)
        {
            _telemetry.Generations.Add(1, Tags(model, job.Preset, e is FastAttnRequestException ? "rejected" : "error"));
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            if (e is FastAttnRequestException) _logger.LogInformation("FastAttn request refused: {Message}", e.Message);
            else _logger.LogError(e, "FastAttn generation failed for model {Model}", model);
            job.Fail(e);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task<FastAttnImageResult> GenerateImagesAsync(FastAttnImageRequest r, Job job, TimeSpan queueWait, CancellationToken cancellationToken)
    {
        var model = await _models.GetAsync(r.Model!, cancellationToken).ConfigureAwait(false);
        int steps = r.Steps ?? model.Steps;
        double guidance = r.GuidanceScale ?? model.GuidanceScale;
        long seed = r.Seed ?? Random.Shared.NextInt64(0, int.MaxValue);
        var generation = model.Prepare(r, steps, guidance, seed, _options.AllowResize);
        var notes = new List<string>();
        var plan = await PlanForAsync(model, generation, job, notes, cancellationToken).ConfigureAwait(false);
        if (generation.ResizeNote is string resized) notes.Add(resized);
        var stopwatch = Stopwatch.StartNew();
        var pngs = await Task.Factory.StartNew(() => generation.Render(plan?.Plan, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        var elapsed = stopwatch.Elapsed;
        var images = pngs.Select((png, i) => new FastAttnImage(png, _output.Save(png, model.Name, generation.Subject, generation.SeedFor(i), ".png"), generation.SeedFor(i),
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
            QueueWait = queueWait,
            Notes = notes,
        };
    }

    private async Task<FastAttnVideoResult> GenerateClipAsync(FastAttnVideoRequest r, Job job, TimeSpan queueWait, CancellationToken cancellationToken)
    {
        var model = await _models.GetAsync(r.Model!, cancellationToken).ConfigureAwait(false);
        int steps = r.Steps ?? model.Steps;
        double guidance = r.GuidanceScale ?? model.GuidanceScale;
        long seed = r.Seed ?? Random.Shared.NextInt64(0, int.MaxValue);
        var generation = model.PrepareVideo(r, steps, guidance, seed);
        var notes = new List<string>();
        var plan = await PlanForAsync(model, generation, job, notes, cancellationToken).ConfigureAwait(false);
        var stopwatch = Stopwatch.StartNew();
        var gif = (await Task.Factory.StartNew(() => generation.Render(plan?.Plan, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false))[0];
        var elapsed = stopwatch.Elapsed;
        double fraction = plan?.Plan.Flops?.ModuleFraction ?? 1.0;
        if (plan is not null) _telemetry.FlopsSaved.Add(generation.RawAttentionFlops * (1 - fraction), Tags(model.Name, job.Preset, null));
        return new FastAttnVideoResult
        {
            Gif = gif,
            Path = _output.Save(gif, model.Name, generation.Subject, seed, ".gif"),
            Model = model.Name,
            Prompt = generation.Subject,
            Preset = job.Preset,
            Compressed = plan is not null,
            PlanPath = plan?.Path,
            AttentionFlopsFraction = fraction,
            Frames = r.Frames ?? 16,
            Width = generation.Width,
            Height = generation.Height,
            Fps = r.Fps ?? 8,
            Seed = seed,
            Steps = steps,
            Elapsed = elapsed,
            QueueWait = queueWait,
            Notes = notes,
        };
    }

    /// <summary>The job's plan (none for raw); a missing one is said in <paramref name="notes"/>.</summary>
    private async Task<(CompressionPlan Plan, string Path)?> PlanForAsync(ServedModel model, ServedGeneration generation, Job job, List<string> notes,
        CancellationToken cancellationToken)
    {
        if (job.Delta <= 0) return null;
        var plan = await ResolvePlanAsync(model, generation, job.Preset, job.Delta, cancellationToken).ConfigureAwait(false);
        if (plan is null)
            notes.Add($"No DiTFastAttn plan for {job.Preset} with these settings ({generation.Settings}); ran uncompressed. " +
                      "Run `fastattn search` for them, or enable FastAttn:SearchOnDemand.");
        return plan;
    }

    /// <summary>The cached plan for the generation's key (user plan folder, then the model's shipped plans), searched now if allowed.</summary>
    private async Task<(CompressionPlan Plan, string Path)?> ResolvePlanAsync(ServedModel model, ServedGeneration generation, string preset, double delta,
        CancellationToken cancellationToken)
    {
        var search = generation.SearchOptions(delta);
        var key = generation.KeyFor(search, model.Fingerprint);
        var folders = new List<string> { _options.PlanDirectory ?? PlanLookup.DefaultDirectory };
        folders.AddRange(model.ShippedPlans);
        var lazy = _plans.GetOrAdd(key, _ => new Lazy<Task<(CompressionPlan, string)?>>(() => Task.Run(async () =>
        {
            if (PlanLookup.Find(key, folders) is var (found, path)) return ((CompressionPlan, string)?)(found, path);
            var cache = new PlanDirectory(folders[0]);
            if (_sharedPlans is not null && await _sharedPlans.FindAsync(key, _shutdown.Token).ConfigureAwait(false) is CompressionPlan shared)
                return (shared, cache.Save(shared));
            if (!_options.SearchOnDemand) return null;
            CompressionPlan Search(CancellationToken ct)
            {
                _logger.LogInformation("Searching the DiTFastAttn plan for {Model} {Preset} (SearchOnDemand)", model.Name, preset);
                Interlocked.Increment(ref _planSearches);
                return generation.Search(search, ct);
            }
            Task<CompressionPlan> SearchOnOwnThread(CancellationToken ct) =>                          // minutes of compute: not on the pool
                Task.Factory.StartNew(() => Search(ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var plan = _sharedPlans is null ? await SearchOnOwnThread(_shutdown.Token).ConfigureAwait(false)
                : await _sharedPlans.GetOrSearchAsync(key, Search, _shutdown.Token).ConfigureAwait(false);
            return (plan, cache.Save(plan));
        })));
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
        CheckCommon(r.Prompt, r.Steps, r.GuidanceScale, r.Width, r.Height, "Image");
        if (r.Count < 1 || r.Count > l.MaxImages) throw new FastAttnRequestException($"Ask for 1 to {l.MaxImages} images (got {r.Count}).", "count");
        return Quality(r.Preset, r.Threshold, _options.Threshold, _options.Preset);
    }

    /// <summary>Checks a video request against the limits before it is queued; returns its preset label and δ.</summary>
    private (string Preset, double Delta) CheckVideoRequest(FastAttnVideoRequest r)
    {
        var l = _options.Limits;
        CheckCommon(r.Prompt, r.Steps, r.GuidanceScale, r.Width, r.Height, "Clip");
        if (r.Frames is int f && (f < 1 || f > l.MaxFrames)) throw new FastAttnRequestException($"Frames must be within 1..{l.MaxFrames} (got {f}).", "frames");
        if (r.Fps is double fps && (double.IsNaN(fps) || fps <= 0 || fps > 60)) throw new FastAttnRequestException($"Playback fps must be within (0, 60] (got {fps}).", "fps");
        return Quality(r.Preset, r.Threshold, null, _options.VideoPreset);
    }

    /// <summary>The limits every request shares: prompt present and not too long, steps, guidance, sides.</summary>
    private void CheckCommon(string? prompt, int? steps, double? guidance, int? width, int? height, string what)
    {
        var l = _options.Limits;
        if (prompt is null) throw new FastAttnRequestException("The prompt is missing.", "prompt");
        if (prompt.Length > l.MaxPromptLength) throw new FastAttnRequestException($"The prompt has {prompt.Length} characters; the limit is {l.MaxPromptLength}.", "prompt");
        if (steps is int s && (s < 1 || s > l.MaxSteps)) throw new FastAttnRequestException($"Steps must be within 1..{l.MaxSteps} (got {s}).", "steps");
        if (guidance is double g && (double.IsNaN(g) || g < 1 || g > l.MaxGuidanceScale))
            throw new FastAttnRequestException($"The guidance scale must be within 1..{l.MaxGuidanceScale} (got {g}).", "guidance");
        foreach (var side in new[] { width, height })
            if (side is int px && (px < 1 || px > l.MaxSize)) throw new FastAttnRequestException($"{what} sides must be within 1..{l.MaxSize} pixels (got {px}).", "size");
    }

    /// <summary>The preset label and δ of a request: its threshold, its preset, else the configured threshold or preset.</summary>
    private static (string Preset, double Delta) Quality(string? preset, double? threshold, double? configuredThreshold, string configuredPreset)
    {
        static string Label(double t) => CompressionPresets.NameOf(t) ?? $"δ={t.ToString("0.####", CultureInfo.InvariantCulture)}";
        if (threshold is double t)
        {
            if (t < 0 || double.IsNaN(t)) throw new FastAttnRequestException($"The threshold δ must be ≥ 0 (got {t}).", "threshold");
            return (Label(t), t);
        }
        if (preset is null && configuredThreshold is double ot) return (Label(ot), ot);
        var name = (preset ?? configuredPreset).Trim();
        if (!FastAttnOptionsValidator.IsPreset(name))
            throw new FastAttnRequestException($"Unknown quality preset '{name}'. Use raw (best quality), D1 (mild) to D6 (fastest), or V1 to V5 for video.", "preset");
        double delta = CompressionPresets.Threshold(name);
        return (delta == 0 ? "raw" : name.ToUpperInvariant(), delta);
    }

    private static TagList Tags(string model, string preset, string? outcome)
    {
        var tags = new TagList { { "fastattn.model", model }, { "fastattn.preset", preset } };
        if (outcome is not null) tags.Add("fastattn.outcome", outcome);
        return tags;
    }

    /// <summary>What a finished job reports to telemetry.</summary>
    private sealed record JobOutcome(int Items, bool Compressed, double AttentionFlopsFraction);

    /// <summary>A queued job (images or a clip): one queue, one device.</summary>
    private abstract class Job(string model, string preset, double delta, CancellationToken callerToken)
    {
        public string Model { get; } = model;

        public string Preset { get; } = preset;

        public double Delta { get; } = delta;

        public CancellationToken CallerToken { get; } = callerToken;

        public Stopwatch Queued { get; } = Stopwatch.StartNew();

        public abstract bool IsCompleted { get; }

        /// <summary>Runs the job and keeps its result for <see cref="Complete"/>.</summary>
        public abstract Task<JobOutcome> ExecuteAsync(TimeSpan queueWait, CancellationToken cancellationToken);

        /// <summary>Completes the caller's task with the result of <see cref="ExecuteAsync"/>.</summary>
        public abstract void Complete();

        public abstract void Cancel(CancellationToken token);

        public abstract void Fail(Exception e);
    }

    /// <summary>A job whose task completes with a <typeparamref name="T"/>.</summary>
    private sealed class Job<T>(string model, string preset, double delta, CancellationToken callerToken,
        Func<Job, TimeSpan, CancellationToken, Task<T>> work, Func<T, JobOutcome> outcome) : Job(model, preset, delta, callerToken)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _completion.Task;

        public override bool IsCompleted => _completion.Task.IsCompleted;

        public override async Task<JobOutcome> ExecuteAsync(TimeSpan queueWait, CancellationToken cancellationToken)
        {
            _result = await work(this, queueWait, cancellationToken).ConfigureAwait(false);
            return outcome(_result);
        }

        public override void Complete() => _completion.TrySetResult(_result!);

        public override void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);

        public override void Fail(Exception e) => _completion.TrySetException(e);

        /// <summary>A caller that gives up while the job waits gets its task cancelled at once (the worker then skips it).</summary>
        public void CancelWhileQueued()
        {
            if (!CallerToken.CanBeCanceled) return;
            var registration = CallerToken.Register(() => _completion.TrySetCanceled(CallerToken));
            _completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
    }
}
