using System.Diagnostics.Metrics;

namespace FastAttn.Plugin.Diagnostics;

/// <summary>
/// The local engine's batching instruments (meter <c>FastAttn</c>, beside <see cref="FastAttnTelemetry"/>'s):
/// <c>fastattn.batches</c> (runs of the device, a job alone counting as a batch) and <c>fastattn.batch.size</c> (items
/// per batch), both tagged with the model. Recorded by the engine itself, which alone sees its batches.
/// </summary>
public sealed class FastAttnBatchTelemetry : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/> (or an own meter).</summary>
    public FastAttnBatchTelemetry(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(FastAttnTelemetry.Name) ?? new Meter(FastAttnTelemetry.Name);
        Batches = _meter.CreateCounter<long>("fastattn.batches", "{batch}", "Batches the device ran (a job alone is a batch of its items).");
        BatchSize = _meter.CreateHistogram<long>("fastattn.batch.size", "{item}", "Items (images or clips) per batch.");
    }

    /// <summary>Batches run.</summary>
    public Counter<long> Batches { get; }

    /// <summary>Items per batch.</summary>
    public Histogram<long> BatchSize { get; }

    /// <summary>Records one batch of <paramref name="items"/> items on <paramref name="model"/>.</summary>
    public void Record(string model, int items)
    {
        var tag = new KeyValuePair<string, object?>("fastattn.model", model);
        Batches.Add(1, tag);
        BatchSize.Record(items, tag);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
