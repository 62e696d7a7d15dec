using System.Diagnostics;
using FastAttn.Engine.Runtime;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Returns the C heap's retained free memory to the system at most once per <see cref="Options.FastAttnOptions.NativeTrimInterval"/>,
/// after a generation. With <see cref="Options.FastAttnOptions.RetainNativeMemory"/> glibc never trims, so the pages freed
/// tensors leave behind stay resident; as allocations of varying size wander over the retained heap, more of it is
/// touched and resident memory creeps up although the bytes in use stay flat (issue #21's soak: in use ~112 MB and free
/// ~858 MB steady, RSS +1 MB/min). A trim now and then bounds that; between trims steps still reuse memory without
/// faulting it in, so the speed <c>RetainNativeMemory</c> buys is kept.
/// </summary>
internal sealed class NativeHeapTrimmer(TimeSpan? interval, TimeProvider time, ILogger logger)
{
    private long _lastTrim = time.GetTimestamp();
    private int _trimming;

    /// <summary>Trims when the interval has passed since the last trim (one caller at a time; the others return at once).</summary>
    public void TrimIfDue()
    {
        if (interval is not { } every || time.GetElapsedTime(Interlocked.Read(ref _lastTrim)) < every) return;
        if (Interlocked.Exchange(ref _trimming, 1) == 1) return;
        try
        {
            var before = logger.IsEnabled(LogLevel.Debug) ? NativeHeap.Measure() : null;           // mallinfo2 locks every arena
            var clock = Stopwatch.StartNew();
            NativeHeap.Trim();
            Interlocked.Exchange(ref _lastTrim, time.GetTimestamp());
            Trims++;
            if (before is not null)
                logger.LogDebug("Trimmed the native heap in {Ms:F1} ms ({FreeMb:F0} MB free, {InUseMb:F0} MB in use before).",
                    clock.Elapsed.TotalMilliseconds, (before?.FreeBytes ?? 0) / 1048576.0, (before?.InUseBytes ?? 0) / 1048576.0);
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    /// <summary>Trims done so far.</summary>
    public int Trims { get; private set; }
}
