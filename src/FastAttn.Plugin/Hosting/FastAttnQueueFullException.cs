namespace FastAttn.Plugin.Hosting;

/// <summary>The engine's queue is full: the request was refused at once (retry later, or raise <c>FastAttn:QueueLength</c>).</summary>
public sealed class FastAttnQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception for a queue of <paramref name="capacity"/> jobs.</summary>
    public FastAttnQueueFullException(int capacity)
        : base($"The FastAttn queue is full ({capacity} jobs waiting); try again later or raise FastAttn:QueueLength.") => Capacity = capacity;

    /// <summary>The queue's capacity.</summary>
    public int Capacity { get; }

    /// <summary>A full queue somewhere else (every capable host of a cluster), described by <paramref name="message"/>.</summary>
    public FastAttnQueueFullException(string message, int capacity = 0) : base(message) => Capacity = capacity;
}
