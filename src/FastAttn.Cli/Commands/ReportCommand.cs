using System.CommandLine;
using System.Globalization;
using FastAttn.Cli.Reporting;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn report</c>: combines reports other commands wrote, measuring nothing itself (which is why it is not under
/// <c>bench</c>, whose commands all time something). <c>report pareto</c> joins <c>eval</c>'s quality with <c>bench e2e</c>'s
/// measured latency per preset: one table, the accuracy-vs-latency Pareto frontier and a quality/speed target.
/// </summary>
internal static class ReportCommand
{
    public static Command Create() => new("report", "Combine reports other commands wrote (measures nothing itself).") { CreatePareto() };

    private static Command CreatePareto()
    {
        var evals = new Option<string[]>("--eval")
        {
            Description = "`fastattn eval` JSON report(s); repeat for several (a later file's row overrides an earlier one's for the same preset).",
            Required = true,
        };
        var latency = new Option<string>("--latency") { Description = "The `fastattn bench e2e` JSON report (measured latency).", Required = true };
        var points = new Option<double>("--target-accuracy-points")
        {
            Description = "Target: accuracy loss vs raw allowed, in percentage points.", DefaultValueFactory = _ => 1,
        };
        var fid = new Option<double>("--target-fid")
        {
            Description = "Target: FID increase vs raw allowed, relative (0.10 = at most 10% above raw's).", DefaultValueFactory = _ => 0.10,
        };
        var speed = new Option<double>("--target-latency")
        {
            Description = "Target: measured latency fraction of raw to reach (≤).", DefaultValueFactory = _ => 0.6,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (writes .json, .md, .png).", DefaultValueFactory = _ => "report/pareto",
        };
        var command = new Command("pareto",
            "One table and a Pareto plot per preset: eval's accuracy and FID against bench e2e's measured latency fraction, with a target.")
        {
            evals, latency, points, fid, speed, output,
        };
        command.SetAction(parse =>
        {
            var target = new ParetoTarget(NonNegative(parse.GetValue(points), "--target-accuracy-points"),
                NonNegative(parse.GetValue(fid), "--target-fid"), NonNegative(parse.GetValue(speed), "--target-latency"));
            var qualityFiles = parse.GetValue(evals)!;
            var latencyFile = parse.GetValue(latency)!;
            var result = ParetoAnalysis.Analyze([.. qualityFiles.Select(ParetoInputs.ReadQuality)], ParetoInputs.ReadLatency(latencyFile), target);
            var report = new BenchReport("Presets: accuracy and FID vs measured latency",
                ["preset", "scope", "accuracy", "accuracyDeltaPoints", "fid", "fidRatio", "transformerFlopsFraction", "predictedFraction",
                 "latencyFraction", "latencySpread", "onFrontier", "meetsTarget"]);
            Describe(report, qualityFiles, latencyFile);
            foreach (var r in result.Rows)
                report.Add(new()
                {
                    ["preset"] = r.Preset, ["scope"] = r.Scope, ["accuracy"] = r.Accuracy, ["accuracyDeltaPoints"] = r.AccuracyDeltaPoints,
                    ["fid"] = r.Fid, ["fidRatio"] = r.FidRatio, ["transformerFlopsFraction"] = r.TransformerFlopsFraction,
                    ["predictedFraction"] = r.PredictedFraction, ["latencyFraction"] = r.LatencyFraction, ["latencySpread"] = r.LatencySpread,
                    ["onFrontier"] = r.OnFrontier, ["withinQuality"] = r.WithinQuality, ["meetsTarget"] = r.MeetsTarget,
                });
            Summarize(report, result);
            report.Write(parse.GetValue(output)!, plot => ParetoPlot.Draw(plot, result));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Where the numbers come from and what each derived column means.</summary>
    private static void Describe(BenchReport report, IReadOnlyList<string> qualityFiles, string latencyFile)
    {
        report.Provenance["quality"] = string.Join("; ", qualityFiles.Select(f =>
            $"{f} ({ParetoInputs.Provenance(f, "samples") ?? "samples not stated"})")) + " — a later file's row overrides an earlier one's";
        report.Provenance["latency"] = $"{latencyFile} ({ParetoInputs.Provenance(latencyFile, "sampling") ?? "sampling not stated"}; " +
            $"{ParetoInputs.Provenance(latencyFile, "machine") ?? "machine not stated"}; " +
            $"{ParetoInputs.Provenance(latencyFile, "timing") ?? "timing not stated"})";
        report.Provenance["columns"] = "accuracyDeltaPoints = (accuracy − raw's)·100; fidRatio = fid / raw's fid; transformerFlopsFraction " +
            "from the quality file (else the latency file); predictedFraction = bench e2e's cost-model prediction; latencyFraction = bench " +
            "e2e's measured fraction (median over rounds of the preset's time over raw's in the same round; eval's own latency column is " +
            "not used); latencySpread = the preset's max − min seconds over the rounds / raw's median seconds (the whole range of single " +
            "rounds on the latency-fraction scale, not a confidence interval of the median)";
        report.Provenance["frontier"] = "onFrontier: no other preset has accuracy ≥ and latencyFraction ≤ with one strictly better " +
            "(equal points both stay on it)";
    }

    /// <summary>The JSON's <c>summary</c>: the target, who meets it, the best accuracy at the target latency, and one sentence.</summary>
    private static void Summarize(BenchReport report, ParetoResult result)
    {
        var t = result.Target;
        var raw = result.Raw;
        var meeting = result.MeetingTarget;
        var best = result.BestAtTargetLatency;
        var fastest = result.FastestWithinQuality;
        report.Summary["targetAccuracyPoints"] = t.AccuracyPoints;
        report.Summary["targetFid"] = t.FidMargin;
        report.Summary["targetLatencyFraction"] = t.LatencyFraction;
        report.Summary["rawAccuracy"] = raw.Accuracy;
        report.Summary["rawFid"] = raw.Fid;
        report.Summary["meetingTarget"] = meeting.Select(r => r.Preset).ToList();
        report.Summary["bestAtTargetLatency"] = best?.Preset;
        report.Summary["bestAccuracyAtTargetLatency"] = best?.Accuracy;
        report.Summary["fastestWithinQuality"] = fastest?.Preset;
        report.Summary["fastestWithinQualityLatency"] = fastest?.LatencyFraction;
        report.Summary["frontier"] = result.Rows.Where(r => r.OnFrontier).OrderBy(r => r.LatencyFraction).Select(r => r.Preset).ToList();
        report.Summary["qualityOnly"] = result.QualityOnly.ToList();
        report.Summary["latencyOnly"] = result.LatencyOnly.ToList();
        if (result.FlopsMismatch.Count > 0) report.Summary["flopsMismatch"] = result.FlopsMismatch.ToList();
        report.Summary["verdict"] = Verdict(result);
    }

    /// <summary>The target sentence, e.g. "No preset is within 1 point of raw's accuracy (99.6%) with FID within 10% … ≤ 0.6; …".</summary>
    public static string Verdict(ParetoResult result)
    {
        var t = result.Target;
        var raw = result.Raw;
        var meeting = result.MeetingTarget;
        string points = t.AccuracyPoints == 1 ? "point" : "points";
        string target = $"within {N(t.AccuracyPoints)} {points} of raw's accuracy ({P(raw.Accuracy)}) with FID within " +
            $"{N(t.FidMargin * 100)}% of raw's at a measured latency fraction ≤ {N(t.LatencyFraction)}";
        string head = meeting.Count == 0 ? $"No preset is {target}" : $"{string.Join(", ", meeting.Select(r => r.Preset))} " +
            $"{(meeting.Count == 1 ? "is" : "are")} {target}";
        string best = result.BestAtTargetLatency is { } b
            ? $"best accuracy at ≤ {N(t.LatencyFraction)}: {b.Preset}, {P(b.Accuracy)} at {N(b.LatencyFraction)}"
            : $"no preset is measured at ≤ {N(t.LatencyFraction)} (the fastest: {Fastest(result)})";
        string fastest = result.FastestWithinQuality is { } f
            ? $"the fastest within the accuracy and FID target: {f.Preset} at {N(f.LatencyFraction)} ({P(f.Accuracy)}, FID ratio {N(f.FidRatio)})"
            : "no preset is within the accuracy and FID target";
        string only = result.QualityOnly.Count + result.LatencyOnly.Count == 0 ? "" :
            $" Not joined: {Names(result.QualityOnly)} (quality only), {Names(result.LatencyOnly)} (latency only).";
        return $"{head}; {best}; {fastest}.{only}";
    }

    private static string Fastest(ParetoResult result) => result.Rows.MinBy(r => r.LatencyFraction) is { } r
        ? $"{r.Preset} at {N(r.LatencyFraction)}, {P(r.Accuracy)}" : "none";

    private static string Names(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    private static string N(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "n/a";

    private static string P(double value) => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static double NonNegative(double value, string option) => double.IsFinite(value) && value >= 0 ? value
        : throw new ArgumentException($"{option} must be a finite number ≥ 0 (got {value.ToString(CultureInfo.InvariantCulture)}).");
}
