namespace FastAttn.Cluster.Contracts;

/// <summary>The outcome of routing a job.</summary>
[GenerateSerializer, Alias("fastattn.RouteOutcome")]
public enum RouteOutcome
{
    /// <summary>A worker was chosen.</summary>
    Chosen,

    /// <summary>No live host knows the model.</summary>
    UnknownModel,

    /// <summary>No live host reported yet (or every capable one was excluded).</summary>
    NoLiveHost,

    /// <summary>Every capable worker's queue is full.</summary>
    AllBusy,
}

/// <summary>Where a job goes, or why it goes nowhere.</summary>
[GenerateSerializer, Alias("fastattn.RouteDecision"), Immutable]
public sealed record RouteDecision
{
    /// <summary>The outcome.</summary>
    [Id(0)] public required RouteOutcome Outcome { get; init; }

    /// <summary>The chosen worker's report.</summary>
    [Id(1)] public WorkerReport? Worker { get; init; }

    /// <summary>The model's canonical name.</summary>
    [Id(2)] public string? Model { get; init; }

    /// <summary>Why (for outcomes other than <see cref="RouteOutcome.Chosen"/>).</summary>
    [Id(3)] public string? Message { get; init; }
}
