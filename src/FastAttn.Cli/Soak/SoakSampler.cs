using System.Diagnostics;
using FastAttn.Engine.Runtime;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Cli.Soak;

/// <summary>One sample of the process and the engine during a soak.</summary>
/// <param name="Seconds">Since the start.</param>
/// <param name="RssMb">Resident set size.</param>
/// <param name="GcHeapMb">Managed memory live after a forced full collection (GC.GetTotalMemory(true)): what is really kept.</param>
/// <param name="OpenFiles">Entries of /proc/self/fd (0 where there is none).</param>
/// <param name="Running">Requests generating now.</param>
/// <param name="Queued">Requests waiting.</param>
/// <param name="Done">Requests answered so far.</param>
/// <param name="GcCommittedMb">Memory the GC has committed (its heap, free space and fragmentation included).</param>
/// <param name="LiveTensors">TorchSharp tensors created and not yet disposed or finalized (flat when every path disposes its own).</param>
/// <param name="P50Seconds">Median latency of the last 20 good single images answered (0: none yet).</param>
/// <param name="NativeInUseMb">C heap bytes allocated and not freed (glibc mallinfo2; 0 where unavailable): grows with a native leak.</param>
/// <param name="NativeFreeMb">C heap bytes freed but kept by the allocator: grows with fragmentation, not with a leak.</param>
/// <param name="Threads">Threads of the process.</param>
/// <param name="SiloRssMb">The silo process's resident memory (0 without a cluster).</param>
/// <param name="WatchedRssMb">The resident memory of the process given by <c>--watch-pid</c>, e.g. the HTTP server (0: none).</param>
internal sealed record SoakSample(double Seconds, double RssMb, double GcHeapMb, int OpenFiles, int Running, int Queued, int Done, double P50Seconds,
    double GcCommittedMb, long LiveTensors, double NativeInUseMb, double NativeFreeMb, int Threads, double SiloRssMb, double WatchedRssMb);

/// <summary>Samples RSS, the GC heap, open files and the engine's queue at a fixed period, until stopped.</summary>
internal sealed class SoakSampler(IFastAttnEngine? engine, Func<int> done, Func<IReadOnlyList<double>> recentLatencies,
    Func<double>? siloRssMb = null, Func<double>? watchedRssMb = null)
{
    private readonly List<SoakSample> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _busy, _polls;

    public IReadOnlyList<SoakSample> Samples
    {
        get { lock (_samples) return _samples.ToArray(); }
    }

    /// <summary>The share of polls (every 100 ms) that found the engine generating.</summary>
    public double Utilisation => _polls == 0 ? 0 : (double)_busy / _polls;

    public async Task RunAsync(TimeSpan period, CancellationToken stop)
    {
        var next = period;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await poll.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var status = engine?.Status;
                _polls++;
                if (status is { Running: > 0 }) _busy++;
                if (_clock.Elapsed < next) continue;
                next += period;
                Take(status);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        Take(engine?.Status);
    }

    private void Take(FastAttnEngineStatus? status)
    {
        using var process = Process.GetCurrentProcess();
        var latencies = recentLatencies().Order().ToArray();
        var gcHeap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
        var heap = NativeHeap.Measure();
        var sample = new SoakSample(_clock.Elapsed.TotalSeconds, process.WorkingSet64 / 1048576.0,
            gcHeap, OpenFiles(), status?.Running ?? 0, status?.QueueDepth ?? 0, done(),
            latencies.Length == 0 ? 0 : latencies[latencies.Length / 2],
            GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, TorchSharp.torch.Tensor.TotalCount,
            (heap?.InUseBytes ?? 0) / 1048576.0, (heap?.FreeBytes ?? 0) / 1048576.0, process.Threads.Count, siloRssMb?.Invoke() ?? 0,
            watchedRssMb?.Invoke() ?? 0);
        lock (_samples) _samples.Add(sample);
    }

    /// <summary>Open file descriptors of this process (Linux: /proc/self/fd).</summary>
    public static int OpenFiles() => Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : 0;

    /// <summary>
    /// Growth of <paramref name="value"/> from 10% to 100% of the run: the mean over the last 10% of samples against the mean
    /// over 10–20% (means smooth the GC's saw-tooth), as a fraction.
    /// </summary>
    public static double Growth(IReadOnlyList<SoakSample> samples, Func<SoakSample, double> value)
    {
        if (samples.Count < 4) return 0;
        double end = samples[^1].Seconds;
        var early = samples.Where(s => s.Seconds >= 0.1 * end && s.Seconds <= 0.2 * end).Select(value).DefaultIfEmpty(value(samples[0])).Average();
        var late = samples.Where(s => s.Seconds >= 0.9 * end).Select(value).Average();
        return early <= 0 ? 0 : (late - early) / early;
    }
}
