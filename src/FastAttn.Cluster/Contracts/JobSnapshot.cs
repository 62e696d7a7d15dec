namespace FastAttn.Cluster.Contracts;

/// <summary>A job as its grain knows it: status, where it runs, its output or error.</summary>
[GenerateSerializer, Alias("fastattn.JobSnapshot"), Immutable]
public sealed record JobSnapshot
{
    /// <summary>The job id (the idempotency key).</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>Where it stands.</summary>
    [Id(1)] public required JobStatus Status { get; init; }

    /// <summary>Images or a clip.</summary>
    [Id(2)] public GenerationKind Kind { get; init; }

    /// <summary>The model (canonical name once dispatched).</summary>
    [Id(3)] public string? Model { get; init; }

    /// <summary>Dispatches so far (a job whose host died is dispatched again).</summary>
    [Id(4)] public int Attempt { get; init; }

    /// <summary>The worker (host/device) it was last dispatched to.</summary>
    [Id(5)] public string? Worker { get; init; }

    /// <summary>Its host.</summary>
    [Id(6)] public string? Host { get; init; }

    /// <summary>Whether its caller asked to cancel it.</summary>
    [Id(7)] public bool CancelRequested { get; init; }

    /// <summary>The output (succeeded jobs).</summary>
    [Id(8)] public JobOutput? Output { get; init; }

    /// <summary>The error (failed jobs).</summary>
    [Id(9)] public JobError? Error { get; init; }

    /// <summary>When it was submitted (UTC).</summary>
    [Id(10)] public DateTime Submitted { get; init; }

    /// <summary>When it last changed (UTC).</summary>
    [Id(11)] public DateTime Updated { get; init; }

    /// <summary>Whether it will not change any more.</summary>
    public bool IsTerminal => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Canceled or JobStatus.Unknown;
}
