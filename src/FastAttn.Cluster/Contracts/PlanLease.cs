namespace FastAttn.Cluster.Contracts;

/// <summary>The answer of a plan grain to a host that needs its plan.</summary>
[GenerateSerializer, Alias("fastattn.PlanLease"), Immutable]
public sealed record PlanLease
{
    /// <summary>The plan (JSON), once searched.</summary>
    [Id(0)] public string? PlanJson { get; init; }

    /// <summary>True when the asking host holds the lease: it searches and publishes the plan.</summary>
    [Id(1)] public bool Search { get; init; }
}

/// <summary>A plan grain's state, for dashboards and tests.</summary>
[GenerateSerializer, Alias("fastattn.PlanInfo"), Immutable]
public sealed record PlanInfo
{
    /// <summary>Whether the plan is stored.</summary>
    [Id(0)] public bool Published { get; init; }

    /// <summary>Searches started (leases granted) for this plan.</summary>
    [Id(1)] public int Searches { get; init; }

    /// <summary>The host whose search was published.</summary>
    [Id(2)] public string? SearchedBy { get; init; }

    /// <summary>The host searching now.</summary>
    [Id(3)] public string? Holder { get; init; }
}

/// <summary>A worker's answer to a job.</summary>
[GenerateSerializer, Alias("fastattn.EnqueueOutcome")]
public enum EnqueueOutcome
{
    /// <summary>Queued on the device.</summary>
    Accepted,

    /// <summary>Its queue is full.</summary>
    QueueFull,

    /// <summary>The request was refused (<see cref="EnqueueResult.Error"/>).</summary>
    Rejected,
}

/// <summary>A worker's answer to a job, with the error of a refused one.</summary>
[GenerateSerializer, Alias("fastattn.EnqueueResult"), Immutable]
public sealed record EnqueueResult
{
    /// <summary>The outcome.</summary>
    [Id(0)] public required EnqueueOutcome Outcome { get; init; }

    /// <summary>Why it was refused.</summary>
    [Id(1)] public JobError? Error { get; init; }
}
