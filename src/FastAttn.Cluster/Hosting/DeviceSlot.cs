namespace FastAttn.Cluster.Hosting;

/// <summary>
/// One device of this host: its engine and the job attempts it holds. Kept by the host, not by the worker grain, so
/// that a worker grain deactivated and activated again (its directory entry moved) still knows its running jobs.
/// </summary>
internal sealed class DeviceSlot(string device, Plugin.Hosting.IFastAttnEngine engine)
{
    /// <summary>The device's name.</summary>
    public string Device { get; } = device;

    /// <summary>Its engine.</summary>
    public Plugin.Hosting.IFastAttnEngine Engine { get; } = engine;

    /// <summary>Job attempts held, by job id.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Held> Jobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Jobs finished since start (any outcome).</summary>
    public long JobsDone;

    /// <summary>A job attempt a device holds; cancelled by its caller (its host stopping cancels it inside the engine).</summary>
    internal sealed class Held(int attempt) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = new();

        public int Attempt { get; } = attempt;

        /// <summary>Generation ended; its outcome is being reported (the device still holds it, but its slot is free).</summary>
        public bool Finished { get; set; }

        public CancellationToken Token => _cancel.Token;

        /// <summary>Its caller cancelled it (not the host stopping).</summary>
        public bool IsCanceled => _cancel.IsCancellationRequested;

        public void Cancel()
        {
            try { _cancel.Cancel(); } catch (ObjectDisposedException) { }
        }

        public void Dispose() => _cancel.Dispose();
    }
}
