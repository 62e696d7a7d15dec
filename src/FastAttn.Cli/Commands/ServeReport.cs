using FastAttn.Cli.Reporting;

namespace FastAttn.Cli.Commands;

/// <summary>
/// The rows of <c>bench serve</c>: per client count, batching off then on — images per second (median over the
/// repetitions), latency p50/p95 (over every request of every repetition), the mean batch size, and the speed-up of
/// batching over none at the same client count.
/// </summary>
internal static class ServeReport
{
    public static readonly string[] Columns =
        ["clients", "batching", "transport", "imagesPerSecond", "p50Seconds", "p95Seconds", "meanBatchSize", "speedup", "images", "reps"];

    public static BenchReport Build(IReadOnlyList<ServeRun> runs, IReadOnlyList<int> clients)
    {
        var report = new BenchReport("Serving: images per second through the hosted engine, request batching on vs off", Columns);
        foreach (var k in clients)
        {
            double? off = null;
            foreach (var batching in new[] { false, true })
            {
                var mine = runs.Where(r => r.Clients == k && r.Batching == batching).ToArray();
                if (mine.Length == 0) continue;
                var latencies = mine.SelectMany(r => r.Latencies).Order().ToArray();
                double ips = Median(mine.Select(r => r.Images / r.Seconds));
                off ??= batching ? null : ips;
                long batches = mine.Sum(r => r.Batches);
                report.Add(new()
                {
                    ["clients"] = k, ["batching"] = batching, ["transport"] = "inprocess", ["imagesPerSecond"] = ips,
                    ["p50Seconds"] = Percentile(latencies, 0.50), ["p95Seconds"] = Percentile(latencies, 0.95),
                    ["meanBatchSize"] = batches == 0 ? 0 : mine.Sum(r => r.Items) / batches,
                    ["speedup"] = off is double o && o > 0 ? ips / o : null, ["images"] = mine.Sum(r => r.Images), ["reps"] = mine.Length,
                });
            }
        }
        return report;
    }

    /// <summary>Prints and writes the report, the PNG as images per second by client count, off and on side by side.</summary>
    public static void Write(BenchReport report, string basePath) => report.Write(basePath, plot =>
    {
        var off = report.Rows.Where(r => !(bool)r["batching"]!).ToArray();
        var on = report.Rows.Where(r => (bool)r["batching"]!).ToArray();
        BenchReport.AddBars(plot, off, 3, 0, r => (double)r["imagesPerSecond"]!, ScottPlot.Colors.SteelBlue, "batching off");
        BenchReport.AddBars(plot, on, 3, 1, r => (double)r["imagesPerSecond"]!, ScottPlot.Colors.OrangeRed, "batching on");
        plot.Axes.Bottom.SetTicks(off.Select((_, i) => i * 3 + 0.5).ToArray(), off.Select(r => $"{r["clients"]} client(s)").ToArray());
        plot.Axes.Left.Label.Text = "images per second";
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend();
    });

    private static double Median(IEnumerable<double> values) => Percentile(values.Order().ToArray(), 0.5);

    /// <summary>The <paramref name="q"/> quantile of sorted <paramref name="sorted"/> (linear interpolation).</summary>
    public static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return 0;
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = (int)Math.Ceiling(at);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }
}
