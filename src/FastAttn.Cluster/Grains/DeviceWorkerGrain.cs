using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Hosting;
using FastAttn.Cluster.Options;
using FastAttn.Cluster.Placement;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Grains;

/// <summary>
/// One device of this host (see <see cref="IDeviceWorkerGrain"/>), placed here by <see cref="HostPlacement"/>. Its
/// heartbeat is driven by the host (<see cref="WorkerHeartbeat"/>), which also reactivates it should it be deactivated.
/// </summary>
[HostPlacement]
internal sealed class DeviceWorkerGrain(DeviceEngines engines, ResultStore results, ILocalSiloDetails silo, IOptions<FastAttnClusterOptions> options,
    ILogger<DeviceWorkerGrain> logger) : Grain, IDeviceWorkerGrain
{
    /// <summary>How long a finished job keeps trying to reach its job grain (e.g. while that grain's silo is replaced).</summary>
    private static readonly TimeSpan ReportFor = TimeSpan.FromMinutes(2);

    // Set at activation: jobs finish on pool threads, where activation services (GrainFactory, the key) are off limits.
    private DeviceSlot _slot = null!;
    private IWorkerRegistryGrain _registry = null!;
    private string _key = "";
    private string _device = "";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        _registry = GrainFactory.GetGrain<IWorkerRegistryGrain>(0);
        _device = _key[(_key.IndexOf('/', StringComparison.Ordinal) + 1)..];
        _slot = engines.Get(_device)
            ?? throw new InvalidOperationException($"Host '{silo.Name}' has no device '{_device}' (devices: {string.Join(", ", engines.Devices)}).");
        logger.LogInformation("FastAttn worker {Worker} active on {Silo}", _key, silo.SiloAddress);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        logger.LogInformation("FastAttn worker {Worker} deactivating ({Reason}); its {Jobs} jobs keep running on the device", _key, reason,
            _slot.Jobs.Count);
        return Task.CompletedTask;                                                             // the host's heartbeat activates it again
    }

    public Task<EnqueueResult> EnqueueAsync(string jobId, int attempt, GenerationJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_slot.Jobs.TryGetValue(jobId, out var existing)
            && existing.Attempt == attempt) return Task.FromResult(new EnqueueResult { Outcome = EnqueueOutcome.Accepted });
        var held = new DeviceSlot.Held(attempt);
        Task work;
        try
        {
            work = request.Kind == GenerationKind.Image
                ? _slot.Engine.GenerateAsync(request.Image!, held.Token)
                : _slot.Engine.GenerateVideoAsync(request.Video!, held.Token);
        }
        catch (FastAttnQueueFullException)
        {
            held.Dispose();
            return Task.FromResult(new EnqueueResult { Outcome = EnqueueOutcome.QueueFull });
        }
        catch (FastAttnRequestException e)
        {
            held.Dispose();
            return Task.FromResult(new EnqueueResult { Outcome = EnqueueOutcome.Rejected, Error = JobErrors.From(e) });
        }
        _slot.Jobs[jobId] = held;
        var job = GrainFactory.GetGrain<IGenerationJobGrain>(jobId);
        _ = Task.Run(() => FollowAsync(jobId, held, work, job));                               // off the grain's turn: the job takes minutes
        return Task.FromResult(new EnqueueResult { Outcome = EnqueueOutcome.Accepted });
    }

    public Task<bool> CancelAsync(string jobId, int attempt)
    {
        if (!_slot.Jobs.TryGetValue(jobId, out var held) || held.Attempt != attempt) return Task.FromResult(false);
        held.Cancel();
        return Task.FromResult(true);
    }

    public Task<bool> HasJobAsync(string jobId, int attempt) => Task.FromResult(_slot.Jobs.TryGetValue(jobId, out var held)
        && held.Attempt == attempt);

    public Task<WorkerReport> GetReportAsync() => Task.FromResult(Report());

    public async Task<IReadOnlyList<int[]>> GetSupportedSizesAsync(string model) =>
        (await _slot.Engine.GetSupportedSizesAsync(model)).Select(s => new[] { s.Width, s.Height }).ToArray();

    /// <summary>Tells the registry at once (a slot was freed); the host's <see cref="WorkerHeartbeat"/> repeats it every heartbeat.</summary>
    private async Task PushReportAsync()
    {
        try { await _registry.ReportAsync(Report()).WaitAsync(options.Value.WorkerExpiry); }
        catch (Exception e) when (e is not OutOfMemoryException) { logger.LogDebug(e, "Report of {Worker} not delivered", _key); }
    }

    private WorkerReport Report()
    {
        var status = _slot.Engine.Status;
        return new WorkerReport
        {
            Worker = _key,
            Host = silo.Name,
            Device = _device,
            Silo = silo.SiloAddress,
            Models = _slot.Engine.ModelNames,
            DefaultModel = _slot.Engine.DefaultModel,
            DefaultVideoModel = _slot.Engine.DefaultVideoModel,
            Loaded = status.LoadedModels,
            ActiveJobs = _slot.Jobs.Values.Count(h => !h.Finished),
            Running = status.Running,
            Capacity = status.Concurrency,
            QueueCapacity = status.QueueCapacity,
            ModelLoads = status.ModelLoads,
            PlanSearches = status.PlanSearches,
            JobsDone = Interlocked.Read(ref _slot.JobsDone),
            MaxBatch = status.MaxBatch,
            Batches = status.Batches,
            MeanBatchSize = status.MeanBatchSize,
            TakenAt = DateTime.UtcNow,
        };
    }

    /// <summary>Waits for the engine, stores the files, reports the outcome; the job stays held until its grain has it.</summary>
    private async Task FollowAsync(string jobId, DeviceSlot.Held held, Task work, IGenerationJobGrain job)
    {
        try
        {
            Func<Task<bool>> report;
            try
            {
                await work;
                var output = work switch
                {
                    Task<FastAttnImageResult> images => Store(jobId, held.Attempt, images.Result),
                    Task<FastAttnVideoResult> clip => Store(jobId, held.Attempt, clip.Result),
                    _ => throw new InvalidOperationException("Unknown job result."),
                };
                report = () => job.CompletedAsync(held.Attempt, output);
            }
            catch (OperationCanceledException) when (held.IsCanceled)
            {
                report = () => job.CanceledAsync(held.Attempt);
            }
            catch (OperationCanceledException)
            {
                report = () => job.AbandonedAsync(held.Attempt);                               // host shutting down
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                report = () => job.FailedAsync(held.Attempt, JobErrors.From(e));
            }
            held.Finished = true;                                                             // its slot is free: say so first,
            await PushReportAsync();                                                          // so the next job routed sees it
            await ReportAsync(jobId, report);
        }
        finally
        {
            _slot.Jobs.TryRemove(new KeyValuePair<string, DeviceSlot.Held>(jobId, held));
            Interlocked.Increment(ref _slot.JobsDone);
            held.Dispose();
        }
    }

    private async Task ReportAsync(string jobId, Func<Task<bool>> report)
    {
        var until = DateTime.UtcNow + ReportFor;
        for (var delay = TimeSpan.FromMilliseconds(200); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
        {
            try
            {
                if (!await report()) logger.LogInformation("Job {Job}: its grain kept another attempt's outcome", jobId);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException && DateTime.UtcNow < until)
            {
                logger.LogWarning(e, "Job {Job}: outcome not delivered yet; retrying", jobId);
                await Task.Delay(delay);
            }
        }
    }

    private JobOutput Store(string jobId, int attempt, FastAttnImageResult r)
    {
        var files = results.Commit(jobId, attempt, r.Images.Select((image, i) => ($"image-{i}.png", image.Png)).ToArray());
        return new JobOutput
        {
            Files = files, Seeds = r.Images.Select(i => i.Seed).ToArray(), Subject = r.Images.Count > 0 ? r.Images[0].Subject : "",
                ClassId = r.Images.Count > 0 ? r.Images[0].ClassId : null,
            Model = r.Model, Preset = r.Preset, Compressed = r.Compressed, PlanPath = r.PlanPath, AttentionFlopsFraction = r.AttentionFlopsFraction,
            Width = r.Width, Height = r.Height, Resized = r.Resized, Steps = r.Steps, Scheduler = r.Scheduler, GuidanceScale = r.GuidanceScale,
            Elapsed = r.Elapsed, QueueWait = r.QueueWait, Notes = r.Notes, Host = silo.Name, Worker = _key,
        };
    }

    private JobOutput Store(string jobId, int attempt, FastAttnVideoResult r)
    {
        var files = results.Commit(jobId, attempt, [("clip.gif", r.Gif)]);
        return new JobOutput
        {
            Files = files, Seeds = [r.Seed], Subject = r.Prompt, Model = r.Model, Preset = r.Preset, Compressed = r.Compressed, PlanPath = r.PlanPath,
            AttentionFlopsFraction = r.AttentionFlopsFraction, Width = r.Width, Height = r.Height, Steps = r.Steps, Elapsed = r.Elapsed,
            QueueWait = r.QueueWait, Notes = r.Notes, Frames = r.Frames, Fps = r.Fps, Host = silo.Name, Worker = _key,
        };
    }
}
