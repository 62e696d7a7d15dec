using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Grains;

/// <summary>The persisted state of a job grain.</summary>
[GenerateSerializer, Alias("fastattn.JobState")]
internal sealed class JobState
{
    [Id(0)] public GenerationJobRequest? Request { get; set; }
    [Id(1)] public JobStatus Status { get; set; }
    [Id(2)] public string? Model { get; set; }
    [Id(3)] public int Attempt { get; set; }
    [Id(4)] public string? Worker { get; set; }
    [Id(5)] public string? Host { get; set; }
    [Id(6)] public SiloAddress? Silo { get; set; }
    [Id(7)] public bool CancelRequested { get; set; }
    [Id(8)] public JobOutput? Output { get; set; }
    [Id(9)] public JobError? Error { get; set; }
    [Id(10)] public DateTime Submitted { get; set; }
    [Id(11)] public DateTime Updated { get; set; }
    [Id(12)] public DateTime PendingSince { get; set; }
}

/// <summary>One job: persisted, routed, watched, dispatched again when its host dies (see <see cref="IGenerationJobGrain"/>).</summary>
internal sealed class GenerationJobGrain([PersistentState("job", ClusterStorage.Jobs)] IPersistentState<JobState> state,
    IClusterMembershipService membership, IOptions<FastAttnClusterOptions> options, ILogger<GenerationJobGrain> logger) : Grain, IGenerationJobGrain
{
    /// <summary>Workers tried per dispatch before the job waits for the next tick.</summary>
    private const int MaxTriesPerDispatch = 8;

    private IGrainTimer? _watch;
    private int _ticks;

    private JobState S => state.State;

    private string JobId => this.GetPrimaryKeyString();

    private bool IsTerminal => S.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Canceled;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Request is not null && !IsTerminal) StartWatch();                                // reactivated elsewhere: keep watching
        return Task.CompletedTask;
    }

    public async Task<JobSnapshot> SubmitAsync(GenerationJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (S.Request is not null) return Snapshot();                                          // the id is the idempotency key
        S.Request = request;
        S.Model = request.Model;
        S.Status = JobStatus.Pending;
        S.Submitted = S.PendingSince = DateTime.UtcNow;
        await SaveAsync();
        logger.LogInformation("Job {Job} submitted ({Kind}, model {Model})", JobId, request.Kind, request.Model ?? "default");
        await DispatchAsync();
        if (!IsTerminal) StartWatch();
        return Snapshot();
    }

    public Task<JobSnapshot> GetAsync() => Task.FromResult(Snapshot());

    public async Task<JobSnapshot> CancelAsync()
    {
        if (S.Request is null || IsTerminal) return Snapshot();
        S.CancelRequested = true;
        if (S.Status == JobStatus.Pending) S.Status = JobStatus.Canceled;
        else if (!await TellWorkerToCancelAsync()) S.Status = JobStatus.Canceled;                 // its host is gone: nothing runs it
        await SaveAsync();
        logger.LogInformation("Job {Job}: cancel requested ({Status})", JobId, S.Status);
        return Snapshot();
    }

    public Task<bool> CompletedAsync(int attempt, JobOutput output) => FinishAsync(attempt, JobStatus.Succeeded, output, null);

    public Task<bool> FailedAsync(int attempt, JobError error) => FinishAsync(attempt, JobStatus.Failed, null, error);

    public Task<bool> CanceledAsync(int attempt) => FinishAsync(attempt, JobStatus.Canceled, null, null);

    public async Task<bool> AbandonedAsync(int attempt)
    {
        if (attempt != S.Attempt || IsTerminal) return false;
        if (S.CancelRequested) return await FinishAsync(attempt, JobStatus.Canceled, null, null);
        await RequeueAsync($"worker {S.Worker} dropped it");
        return true;
    }

    /// <summary>Records the outcome of the current attempt; stale attempts (a host thought dead) are ignored.</summary>
    private async Task<bool> FinishAsync(int attempt, JobStatus status, JobOutput? output, JobError? error)
    {
        if (attempt != S.Attempt || IsTerminal)
        {
            logger.LogInformation("Job {Job}: outcome {Status} of attempt {Attempt} ignored (attempt {Current}, {State})", JobId, status, attempt,
                S.Attempt, S.Status);
            return false;
        }
        await EndAsync(status, output, error);
        return true;
    }

    /// <summary>Records a terminal status and stops watching.</summary>
    private async Task EndAsync(JobStatus status, JobOutput? output, JobError? error)
    {
        S.Status = status;
        S.Output = output;
        S.Error = error;
        await SaveAsync();
        StopWatch();
        logger.LogInformation("Job {Job} {Status} (worker {Worker}, attempt {Attempt}){Error}", JobId, status, S.Worker ?? "none", S.Attempt,
            error is null ? "" : ": " + error.Message);
    }

    /// <summary>Routes the job and queues it on a worker, trying others when one refuses or cannot be reached.</summary>
    private async Task DispatchAsync()
    {
        var registry = GrainFactory.GetGrain<IWorkerRegistryGrain>(0);
        var exclude = new List<string>();
        for (int i = 0; i < MaxTriesPerDispatch && S.Status == JobStatus.Pending; i++)
        {
            var route = await registry.ChooseAsync(S.Model, S.Request!.Kind, exclude);
            switch (route.Outcome)
            {
                case RouteOutcome.UnknownModel:
                    await FailAsync(JobErrorKind.Request, route.Message!, "model");
                    return;
                case RouteOutcome.AllBusy:
                    await FailAsync(JobErrorKind.QueueFull, route.Message!, null);
                    return;
                case RouteOutcome.NoLiveHost:
                    if (DateTime.UtcNow - S.PendingSince > options.Value.DispatchTimeout)
                        await FailAsync(JobErrorKind.NoHost, $"{route.Message} Gave up after {options.Value.DispatchTimeout}.", null);
                    return;                                                                    // the next tick tries again
            }
            var worker = route.Worker!;
            S.Model = route.Model;
            S.Attempt++;
            S.Worker = worker.Worker;
            S.Host = worker.Host;
            S.Silo = worker.Silo;
            S.Status = JobStatus.Dispatched;
            await SaveAsync();                                                                 // before the worker can report
            EnqueueResult result;
            try
            {
                result = await GrainFactory.GetGrain<IDeviceWorkerGrain>(worker.Worker).EnqueueAsync(JobId, S.Attempt,
                    S.Request!.WithModel(route.Model!));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning(e, "Job {Job}: worker {Worker} unreachable; trying another", JobId, worker.Worker);
                result = new() { Outcome = EnqueueOutcome.QueueFull };
            }
            switch (result.Outcome)
            {
                case EnqueueOutcome.Accepted:
                    logger.LogInformation("Job {Job} dispatched to {Worker} (attempt {Attempt}, model {Model} {Loaded})", JobId, worker.Worker,
                        S.Attempt,
                        route.Model, worker.HasLoaded(route.Model!) ? "loaded" : "to load");
                    return;
                case EnqueueOutcome.Rejected:
                    S.Status = JobStatus.Pending;
                    await FailAsync(result.Error!.Kind, result.Error.Message, result.Error.Parameter);
                    return;
                default:
                    exclude.Add(worker.Worker);
                    S.Status = JobStatus.Pending;
                    await SaveAsync();
                    break;
            }
        }
    }

    /// <summary>Every tick: dispatch a waiting job; dispatch again one whose host died or lost it.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        if (IsTerminal) { StopWatch(); return; }
        _ticks++;
        if (S.Status == JobStatus.Pending)
        {
            await DispatchAsync();
            return;
        }
        var status = S.Silo is null ? SiloStatus.None : membership.CurrentSnapshot.GetSiloStatus(S.Silo);
        if (status is SiloStatus.Dead or SiloStatus.None)
        {
            if (S.CancelRequested) await FinishAsync(S.Attempt, JobStatus.Canceled, null, null);
            else await RequeueAsync($"host {S.Host} left the cluster");
            return;
        }
        if (_ticks % 5 == 0 && status == SiloStatus.Active)
        {
            bool held;
            try { held = await GrainFactory.GetGrain<IDeviceWorkerGrain>(S.Worker!).HasJobAsync(JobId, S.Attempt); }
            catch (Exception e) when (e is not OutOfMemoryException) { logger.LogDebug(e, "Job {Job}: worker check failed", JobId); return; }
            if (!held && !IsTerminal) await RequeueAsync($"worker {S.Worker} no longer holds it");
        }
    }

    private async Task RequeueAsync(string why)
    {
        logger.LogWarning("Job {Job}: attempt {Attempt} lost ({Why}); dispatching it again", JobId, S.Attempt, why);
        S.Status = JobStatus.Pending;
        S.PendingSince = DateTime.UtcNow;
        await SaveAsync();
        await DispatchAsync();
    }

    private async Task<bool> TellWorkerToCancelAsync()
    {
        try { return await GrainFactory.GetGrain<IDeviceWorkerGrain>(S.Worker!).CancelAsync(JobId, S.Attempt); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "Job {Job}: could not reach worker {Worker} to cancel", JobId, S.Worker);
            return membership.CurrentSnapshot.GetSiloStatus(S.Silo!) == SiloStatus.Active;
        }
    }

    private Task FailAsync(JobErrorKind kind, string message, string? parameter) =>
        EndAsync(JobStatus.Failed, null, new JobError { Kind = kind, Message = message, Parameter = parameter });

    /// <summary>
    /// Persists the state, retrying while storage is unreachable (Redis restarting) for up to
    /// <see cref="FastAttnClusterOptions.StorageRetry"/>; past that the grain deactivates (its memory may now be ahead of
    /// storage: the next call reloads what was saved, and the watch dispatches again from there) and the write fails.
    /// </summary>
    private async Task SaveAsync()
    {
        S.Updated = DateTime.UtcNow;
        var until = DateTime.UtcNow + options.Value.StorageRetry;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await state.WriteStateAsync();
                if (attempt > 1) logger.LogInformation("Job {Job}: state saved after {Attempts} tries", JobId, attempt);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException and not Orleans.Storage.InconsistentStateException && DateTime.UtcNow < until)
            {
                logger.LogWarning("Job {Job}: state not saved ({Reason}); retrying while storage is unreachable", JobId, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt)));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                this.DeactivateOnIdle();
                throw;
            }
        }
    }

    private void StartWatch()
    {
        var period = options.Value.JobWatchInterval;
        _watch ??= this.RegisterGrainTimer(WatchAsync, new GrainTimerCreationOptions(period, period) { KeepAlive = true });
    }

    private void StopWatch()
    {
        _watch?.Dispose();
        _watch = null;
    }

    private JobSnapshot Snapshot() => new()
    {
        JobId = JobId,
        Status = S.Request is null ? JobStatus.Unknown : S.Status,
        Kind = S.Request?.Kind ?? GenerationKind.Image,
        Model = S.Model,
        Attempt = S.Attempt,
        Worker = S.Worker,
        Host = S.Host,
        CancelRequested = S.CancelRequested,
        Output = S.Output,
        Error = S.Error,
        Submitted = S.Submitted,
        Updated = S.Updated,
    };
}
