using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FastAttn.Server.Metrics;

/// <summary>
/// Collects the measurements of the FastAttn meters (<c>FastAttn</c>, <c>FastAttn.Server</c>) made through this server's
/// <see cref="IMeterFactory"/> with a <see cref="MeterListener"/>: sums for counters, last values for gauges, count, sum and
/// buckets for histograms, per instrument and tag set. <see cref="PrometheusWriter"/> prints them.
/// </summary>
public sealed class MetricAggregator : IDisposable
{
    /// <summary>Histogram bucket bounds (seconds for durations; items for sizes).</summary>
    public static IReadOnlyList<double> Buckets { get; } = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string Tags), Series> _series = new();

    /// <summary>Listens to the FastAttn meters of <paramref name="meterFactory"/>.</summary>
    public MetricAggregator(IMeterFactory meterFactory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("FastAttn", StringComparison.Ordinal) && ReferenceEquals(instrument.Meter.Scope, meterFactory))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments now, then returns every series.</summary>
    public IReadOnlyList<(Instrument Instrument, KeyValuePair<string, object?>[] Tags, Series Series)> Collect()
    {
        _listener.RecordObservableInstruments();
        return _series.Select(p => (p.Key.Instrument, p.Value.Tags, p.Value)).OrderBy(s => s.Instrument.Name, StringComparer.Ordinal).ToArray();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var sorted = tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        var key = string.Join(",", sorted.Select(t => $"{t.Key}={t.Value}"));
        var series = _series.GetOrAdd((instrument, key), _ => new Series(sorted));
        series.Add(instrument, value);
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument's values for one tag set.</summary>
    public sealed class Series(KeyValuePair<string, object?>[] tags)
    {
        private readonly Lock _lock = new();

        /// <summary>The tags.</summary>
        public KeyValuePair<string, object?>[] Tags { get; } = tags;

        /// <summary>The sum (counters), last value (gauges, observable counters) or sum of observations (histograms).</summary>
        public double Value { get; private set; }

        /// <summary>Observations (histograms).</summary>
        public long Count { get; private set; }

        /// <summary>Observations at or under each of <see cref="Buckets"/> (histograms).</summary>
        public long[] BucketCounts { get; } = new long[Buckets.Count];

        /// <summary>Adds one measurement of <paramref name="instrument"/>.</summary>
        public void Add(Instrument instrument, double value)
        {
            lock (_lock)
            {
                switch (instrument)
                {
                    case Counter<long> or Counter<double> or Counter<int> or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double>:
                        Value += value;
                        break;
                    case Histogram<long> or Histogram<double> or Histogram<int>:
                        Value += value;
                        Count++;
                        for (int b = 0; b < Buckets.Count; b++) if (value <= Buckets[b]) BucketCounts[b]++;
                        break;
                    default:
                        Value = value;                                                          // observable: the current value
                        break;
                }
            }
        }
    }
}
