using FastAttn.Cluster.Client;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Cluster.Contracts;

/// <summary>Maps the plugin's exceptions to <see cref="JobError"/> on a host, and back on a client.</summary>
public static class JobErrors
{
    /// <summary>The error an exception stands for.</summary>
    public static JobError From(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            FastAttnRequestException r => new JobError { Kind = JobErrorKind.Request, Message = r.Message, Parameter = r.Parameter },
            FastAttnQueueFullException => new JobError { Kind = JobErrorKind.QueueFull, Message = e.Message },
            FastAttnModelLoadException => new JobError { Kind = JobErrorKind.ModelLoad, Message = e.Message },
            _ => new JobError { Kind = JobErrorKind.Internal, Message = $"{e.GetType().Name}: {e.Message}" },
        };
    }

    /// <summary>The exception a caller of the plugin's engine would have seen for <paramref name="error"/>.</summary>
    public static Exception ToException(JobError error, string jobId)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Kind switch
        {
            JobErrorKind.Request => new FastAttnRequestException(error.Message, error.Parameter),
            JobErrorKind.QueueFull => new FastAttnQueueFullException(error.Message),
            _ => new FastAttnJobFailedException(jobId, error),
        };
    }
}
