namespace FastAttn.Cluster.Contracts;

/// <summary>Where a cluster job stands.</summary>
[GenerateSerializer, Alias("fastattn.JobStatus")]
public enum JobStatus
{
    /// <summary>Accepted, waiting for a host (none had room or none was up yet).</summary>
    Pending,

    /// <summary>On a host's device: waiting in its queue or generating.</summary>
    Dispatched,

    /// <summary>Done; the files are in the result store.</summary>
    Succeeded,

    /// <summary>Failed (<see cref="JobSnapshot.Error"/> says why).</summary>
    Failed,

    /// <summary>Cancelled by its caller.</summary>
    Canceled,

    /// <summary>No job was submitted under this id (or it has expired).</summary>
    Unknown,
}

/// <summary>Why a job failed: the kind of the plugin's exception it stands for.</summary>
[GenerateSerializer, Alias("fastattn.JobErrorKind")]
public enum JobErrorKind
{
    /// <summary>A request the model cannot serve (<see cref="Plugin.Hosting.FastAttnRequestException"/>).</summary>
    Request,

    /// <summary>Every capable host's queue was full (<see cref="Plugin.Hosting.FastAttnQueueFullException"/>).</summary>
    QueueFull,

    /// <summary>The model failed to load (<see cref="Plugin.Hosting.FastAttnModelLoadException"/>).</summary>
    ModelLoad,

    /// <summary>No live host serves the model within the dispatch timeout.</summary>
    NoHost,

    /// <summary>The generation failed on its host.</summary>
    Internal,
}

/// <summary>A failure as the cluster carries it.</summary>
[GenerateSerializer, Alias("fastattn.JobError"), Immutable]
public sealed record JobError
{
    /// <summary>The kind of failure.</summary>
    [Id(0)] public required JobErrorKind Kind { get; init; }

    /// <summary>The message.</summary>
    [Id(1)] public required string Message { get; init; }

    /// <summary>The request parameter at fault (request errors).</summary>
    [Id(2)] public string? Parameter { get; init; }
}
