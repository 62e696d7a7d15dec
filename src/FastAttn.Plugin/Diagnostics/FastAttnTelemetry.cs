using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FastAttn.Plugin.Diagnostics;

/// <summary>
/// The engine's instruments (meter <c>FastAttn</c>) and traces (activity source <c>FastAttn</c>), recorded by
/// <see cref="TelemetryFastAttnEngine"/>: generations by model,
/// preset and outcome; generation latency; queue length; attention FLOPs saved by DiTFastAttn.
/// </summary>
public sealed class FastAttnTelemetry : IDisposable
{
    /// <summary>The meter's and the activity source's name (subscribe to it in OpenTelemetry).</summary>
    public const string Name = "FastAttn";

    /// <summary>Traces: one <c>fastattn.generate</c> activity per call (queue, model load and plan lookup included).</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, typeof(FastAttnTelemetry).Assembly.GetName().Version?.ToString());

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/> (or an own meter); <paramref name="queueLength"/> is
    /// observed.</summary>
    public FastAttnTelemetry(Func<int> queueLength, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(queueLength);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Generations = _meter.CreateCounter<long>("fastattn.generations", "{generation}",
            "Generation jobs finished, by model, preset and outcome (ok, canceled, rejected, error).");
        Images = _meter.CreateCounter<long>("fastattn.images", "{image}", "Images generated.");
        Duration = _meter.CreateHistogram<double>("fastattn.generation.duration", "s", "Time a job spent generating (not queued).");
        QueueWait = _meter.CreateHistogram<double>("fastattn.queue.wait", "s", "Time a job waited in the queue.");
        FlopsSaved = _meter.CreateCounter<double>("fastattn.attention.flops_saved", "FLOP",
            "Attention FLOPs that DiTFastAttn plans avoided versus full attention.");
        _meter.CreateObservableGauge("fastattn.queue.length", queueLength, "{job}", "Jobs waiting for the device.");
    }

    /// <summary>Jobs finished.</summary>
    public Counter<long> Generations { get; }

    /// <summary>Images generated.</summary>
    public Counter<long> Images { get; }

    /// <summary>Generation time per job.</summary>
    public Histogram<double> Duration { get; }

    /// <summary>Queue wait per job.</summary>
    public Histogram<double> QueueWait { get; }

    /// <summary>Attention FLOPs saved.</summary>
    public Counter<double> FlopsSaved { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
