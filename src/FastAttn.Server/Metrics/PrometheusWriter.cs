using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace FastAttn.Server.Metrics;

/// <summary>Prints the collected series in Prometheus' text format (version 0.0.4), served at <c>/metrics</c>.</summary>
public static class PrometheusWriter
{
    /// <summary>The content type of the format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The text for <paramref name="aggregator"/>'s series now.</summary>
    public static string Write(MetricAggregator aggregator)
    {
        ArgumentNullException.ThrowIfNull(aggregator);
        var text = new StringBuilder();
        foreach (var group in aggregator.Collect().GroupBy(s => s.Instrument))
        {
            var instrument = group.Key;
            var name = Name(instrument);
            bool histogram = instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>);
            bool counter = instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal)
                || instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);
            var type = histogram ? "histogram" : counter ? "counter" : "gauge";
            if (counter) name += "_total";
            text.Append("# HELP ").Append(name).Append(' ').Append(Escape(instrument.Description ?? instrument.Name)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (_, tags, series) in group)
            {
                if (!histogram)
                {
                    Line(text, name, tags, null, series.Value);
                    continue;
                }
                for (int b = 0; b < MetricAggregator.Buckets.Count; b++)
                    Line(text, name + "_bucket", tags, Number(MetricAggregator.Buckets[b]), series.BucketCounts[b]);
                Line(text, name + "_bucket", tags, "+Inf", series.Count);
                Line(text, name + "_sum", tags, null, series.Value);
                Line(text, name + "_count", tags, null, series.Count);
            }
        }
        return text.ToString();
    }

    private static string Name(Instrument instrument)
    {
        var name = new string(instrument.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return instrument.Unit == "s" && !name.EndsWith("_seconds", StringComparison.Ordinal) ? name + "_seconds" : name;
    }

    private static void Line(StringBuilder text, string name, KeyValuePair<string, object?>[] tags, string? le, double value)
    {
        text.Append(name);
        var labels = tags.Select(t => $"{Label(t.Key)}=\"{Escape(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\"").ToList();
        if (le is not null) labels.Add($"le=\"{le}\"");
        if (labels.Count > 0) text.Append('{').AppendJoin(',', labels).Append('}');
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static string Label(string key) => new(key.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    private static string Number(double value) => double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
