using FastAttn.Cli.Reporting;

namespace FastAttn.Cli.Soak;

/// <summary>
/// The soak's report: a row per transport and kind (counts of each outcome, latency p50/p95), the summary (every request
/// accounted for, lost, RSS / GC heap / open-file growth from 10% to 100% of the run, utilisation, queue-full answer
/// time, temp files left), the time series as <c>samples</c>, and a PNG of RSS and latency over time.
/// </summary>
internal static class SoakReport
{
    public static readonly string[] Columns =
        ["transport", "kind", "requests", "succeeded", "failedTyped", "cancelled", "lost", "untyped", "p50Seconds", "p95Seconds"];

    /// <summary>
    /// The report of <paramref name="runner"/>'s run. <paramref name="orphanFiles"/>: output files no client received;
    /// <paramref name="abandonedResults"/>: results the engine finished after their caller cancelled (files removed).
    /// </summary>
    public static BenchReport Build(SoakRunner runner, SoakSettings settings, int tempFilesLeft, int orphanFiles = 0, long abandonedResults = 0)
    {
        var results = runner.Results.ToArray();
        var samples = runner.Sampler?.Samples ?? [];
        var report = new BenchReport("Soak: mixed traffic through every transport, every request accounted for", Columns);
        foreach (var group in results.GroupBy(r => (r.Transport, r.Call.Kind)).OrderBy(g => g.Key.Transport).ThenBy(g => g.Key.Kind))
        {
            var ok = group.Where(r => r.Outcome == SoakOutcome.Succeeded).Select(r => r.Seconds).Order().ToArray();
            report.Add(new()
            {
                ["transport"] = group.Key.Transport, ["kind"] = group.Key.Kind.ToString().ToLowerInvariant(), ["requests"] = group.Count(),
                ["succeeded"] = Count(group, SoakOutcome.Succeeded), ["failedTyped"] = Count(group, SoakOutcome.FailedTyped),
                ["cancelled"] = Count(group, SoakOutcome.Cancelled), ["lost"] = Count(group, SoakOutcome.Lost),
                ["untyped"] = Count(group, SoakOutcome.Untyped), ["p50Seconds"] = Quantile(ok, 0.5), ["p95Seconds"] = Quantile(ok, 0.95),
            });
        }
        var good = results.Where(r => r.Call.ShouldSucceed).ToArray();
        var queueFull = results.Where(r => r.QueueFull).Select(r => r.Seconds).Order().ToArray();
        var s = report.Summary;
        s["requests"] = results.Length;
        s["succeeded"] = Count(results, SoakOutcome.Succeeded);
        s["failedTyped"] = Count(results, SoakOutcome.FailedTyped);
        s["cancelled"] = Count(results, SoakOutcome.Cancelled);
        s["lost"] = Count(results, SoakOutcome.Lost);
        s["untyped"] = Count(results, SoakOutcome.Untyped);
        s["accountedFor"] = results.Length == (int)s["succeeded"]! + (int)s["failedTyped"]! + (int)s["cancelled"]! + (int)s["lost"]! +
            (int)s["untyped"]!;
        int goodSucceeded = good.Concat(results.Where(r => r.Call.Kind == SoakKind.Burst)).Count(r => r.Outcome == SoakOutcome.Succeeded);
        s["goodSucceededFraction"] = results.Length == 0 ? 0.0 : (double)goodSucceeded / results.Length;          // bursts' served ones too
        s["badAccepted"] = results.Count(r => r.Call.Kind is SoakKind.Bad or SoakKind.Oversized && r.Outcome == SoakOutcome.Succeeded);
        s["deadlineCancelled"] = results.Count(r => r.DeadlineHit);
        s["latestAnswerPastDeadlineSeconds"] = results.Select(r => r.Seconds - r.Call.Deadline.TotalSeconds).DefaultIfEmpty(0).Max();
        s["queueFullAnswers"] = queueFull.Length;
        s["queueFullMaxSeconds"] = queueFull.Length == 0 ? 0.0 : queueFull[^1];
        s["rssGrowthFraction"] = SoakSampler.Growth(samples, x => x.RssMb);
        s["gcHeapGrowthFraction"] = SoakSampler.Growth(samples, x => x.GcHeapMb);
        s["nativeInUseGrowthFraction"] = SoakSampler.Growth(samples, x => x.NativeInUseMb);
        s["nativeFreeGrowthFraction"] = SoakSampler.Growth(samples, x => x.NativeFreeMb);
        if (samples.Any(x => x.SiloRssMb > 0)) s["siloRssGrowthFraction"] = SoakSampler.Growth(samples, x => x.SiloRssMb);
        if (samples.Any(x => x.WatchedRssMb > 0)) s["watchedRssGrowthFraction"] = SoakSampler.Growth(samples, x => x.WatchedRssMb);
        s["openFilesGrowth"] = samples.Count < 2 ? 0 : samples[^1].OpenFiles - samples[Math.Min(samples.Count - 1, samples.Count / 10)].OpenFiles;
        s["peakRssMb"] = samples.Select(x => x.RssMb).DefaultIfEmpty(0).Max();
        s["utilisation"] = runner.Sampler?.Utilisation ?? 0;
        s["tempFilesLeft"] = tempFilesLeft;
        s["orphanFiles"] = orphanFiles;
        s["abandonedResults"] = abandonedResults;
        s["warmUpSeconds"] = runner.WarmUpSeconds;
        s["minutes"] = runner.WallSeconds / 60;
        s["clients"] = settings.Clients;
        report.Sections["samples"] = samples;
        report.Sections["failures"] = results.Where(r => r.Outcome is SoakOutcome.Lost or SoakOutcome.Untyped)
            .Select(r => new { r.Call.Id, r.Call.Label, r.Transport, Outcome = r.Outcome.ToString(), r.Error }).Take(200).ToArray();
        return report;
    }

    /// <summary>Prints and writes the report; the PNG: RSS (MB) and the good requests' median latency (s) over time.</summary>
    public static void Write(BenchReport report, SoakRunner runner, string basePath) => report.Write(basePath, plot =>
    {
        var samples = runner.Sampler?.Samples ?? [];
        var t = samples.Select(x => x.Seconds / 60).ToArray();
        var rss = plot.Add.Scatter(t, samples.Select(x => x.RssMb).ToArray());
        rss.LegendText = "RSS (MB)";
        var latency = plot.Add.Scatter(t, samples.Select(x => x.P50Seconds).ToArray());
        latency.LegendText = "median latency (s)";
        latency.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Bottom.Label.Text = "minutes";
        plot.Axes.Left.Label.Text = "RSS (MB)";
        plot.Axes.Right.Label.Text = "latency (s)";
        plot.ShowLegend();
    });

    private static int Count(IEnumerable<SoakResult> results, SoakOutcome outcome) => results.Count(r => r.Outcome == outcome);

    private static double Quantile(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[(int)Math.Round(q * (sorted.Length - 1))];
}
