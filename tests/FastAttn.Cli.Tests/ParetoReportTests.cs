using System.Text.Json.Nodes;
using FastAttn.Cli;
using FastAttn.Cli.Reporting;
using Xunit;

namespace FastAttn.Cli.Tests;

/// <summary><c>fastattn report pareto</c>: the join, the override order, the frontier and the target, without files; then the command.</summary>
[Collection("cli")]
public sealed class ParetoReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-cli-pareto-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static QualityRow Q(string preset, double accuracy, double? fid = 40) => new(preset, accuracy, fid, null);

    private static LatencyRow L(string preset, double latency, double? spread = null) => new(preset, latency, latency, 2, spread, null);

    private static Sourced<QualityRow> Eval(string file, params QualityRow[] rows) => new(file, rows);

    private static Sourced<LatencyRow> Bench(params LatencyRow[] rows) => new("e2e.json", rows);

    [Fact]
    public void JoinsByPresetAndListsThoseInOnlyOneFile()
    {
        var result = ParetoAnalysis.Analyze([Eval("d.json", Q("raw", 0.99), Q("D1", 0.98), Q("D2", 0.97)), Eval("b.json", Q("RAW", 0.99), Q("b1", 0.985))],
            Bench(L("raw", 1, spread: 0.5), L("D1", 0.9), L("B1", 0.8), L("B2", 0.7)), new ParetoTarget());
        Assert.Equal(["raw", "D1", "B1"], result.Rows.Select(r => r.Preset));
        Assert.Equal(["attention", "attention", "block"], result.Rows.Select(r => r.Scope));
        Assert.Equal(["D2"], result.QualityOnly);
        Assert.Equal(["B2"], result.LatencyOnly);
        Assert.Equal(0.25, result.Raw.LatencySpread);                                           // 0.5 s over raw's 2 s median
        Assert.Null(result.Rows[1].LatencySpread);
        Assert.Equal(-0.5, result.Rows[2].AccuracyDeltaPoints, 9);
    }

    [Fact]
    public void ALaterEvalFileOverridesAnEarlierOnesRows()
    {
        var result = ParetoAnalysis.Analyze([Eval("a.json", Q("raw", 0.99, 50), Q("D1", 0.90)), Eval("b.json", Q("D1", 0.95), Q("raw", 0.98, 40))],
            Bench(L("raw", 1), L("D1", 0.9)), new ParetoTarget());
        Assert.Equal(["raw", "D1"], result.Rows.Select(r => r.Preset));                         // the first file's order
        Assert.Equal((0.98, 40.0), (result.Raw.Accuracy, result.Raw.Fid!.Value));
        Assert.Equal(0.95, result.Rows[1].Accuracy);
    }

    [Fact]
    public void MissingRawIsATypedErrorNamingTheFile()
    {
        var quality = Assert.Throws<ParetoInputException>(() => ParetoAnalysis.Analyze([Eval("q.json", Q("D1", 0.9))],
            Bench(L("raw", 1), L("D1", 0.9)), new ParetoTarget()));
        Assert.Equal("q.json", quality.File);
        Assert.Contains("raw", quality.Missing);
        var latency = Assert.Throws<ParetoInputException>(() => ParetoAnalysis.Analyze([Eval("q.json", Q("raw", 0.99))],
            Bench(L("D1", 0.9)), new ParetoTarget()));
        Assert.Equal("e2e.json", latency.File);
        Assert.Contains("e2e.json", latency.Message);
    }

    [Fact]
    public void TheFrontierKeepsTiesAndDropsDominatedPoints()
    {
        (double, double)[] points =
        [
            (1.00, 1.00),                                                                        // raw: most accurate
            (0.99, 0.50), (0.99, 0.50),                                                          // equal points: both on it
            (0.99, 0.60),                                                                        // as accurate, slower: off
            (0.98, 0.40),
            (0.97, 0.45),                                                                        // less accurate and slower than 0.98@0.40
            (0.98, 0.70),                                                                        // dominated by 0.99@0.50
            (0.90, 0.40),                                                                        // as fast as 0.98@0.40, less accurate
            (0.80, 0.30),
        ];
        Assert.Equal([true, true, true, false, true, false, false, false, true], ParetoAnalysis.Frontier(points));
    }

    [Fact]
    public void TheTargetCountsItsBoundsAndNeedsFid()
    {
        var result = ParetoAnalysis.Analyze(
            [Eval("q.json", Q("raw", 0.996, 40), Q("B1", 0.986, 44), Q("B2", 0.985, 30), Q("B3", 0.996, 44.5), Q("B4", 0.996, null), Q("B5", 0.99, 20))],
            Bench(L("raw", 1), L("B1", 0.6), L("B2", 0.5), L("B3", 0.55), L("B4", 0.4), L("B5", 0.605)), new ParetoTarget());
        Assert.Equal([false, true, false, false, false, false], result.Rows.Select(r => r.MeetsTarget));   // exactly 1 pt, FID 1.1×, 0.6
        Assert.Equal(["B1"], result.MeetingTarget.Select(r => r.Preset));
        Assert.Equal("B4", result.BestAtTargetLatency!.Preset);                                 // 0.996 at 0.4, though FID is unknown
        Assert.Equal("B1", result.FastestWithinQuality!.Preset);
        Assert.StartsWith("B1 is within 1 point of", FastAttn.Cli.Commands.ReportCommand.Verdict(result));

        var strict = ParetoAnalysis.Analyze([Eval("q.json", Q("raw", 0.996), Q("B6", 0.9))], Bench(L("raw", 1), L("B6", 0.61)),
            new ParetoTarget(LatencyFraction: 0.6));
        Assert.Empty(strict.MeetingTarget);
        Assert.Null(strict.BestAtTargetLatency);
        Assert.Equal("raw", strict.FastestWithinQuality!.Preset);
        Assert.StartsWith("No preset is within", FastAttn.Cli.Commands.ReportCommand.Verdict(strict));
    }

    [Fact]
    public async Task TheCommandWritesTableJsonMarkdownAndPlot()
    {
        var d = Write("d.json", """
            {"rows": [{"preset": "raw", "accuracy": 0.996, "fid": 46}, {"preset": "D1", "accuracy": 0.99, "fid": 45},
              {"preset": "D2", "accuracy": 0.9, "fid": 50}]}
            """);
        var b = Write("b.json", """{"rows": [{"preset": "raw", "accuracy": 0.996, "fid": 46}, {"preset": "B1", "accuracy": 0.995, "fid": 47}]}""");
        var e2e = Write("e2e.json", """
            {"provenance": {"timing": "9 rounds"}, "rows": [
              {"preset": "raw", "latencyFraction": 1, "medianSeconds": 2, "spreadSeconds": 0.2, "predictedFraction": 1},
              {"preset": "D1", "latencyFraction": 0.9, "spreadSeconds": 0.1},
              {"preset": "B1", "latencyFraction": 0.55, "predictedFraction": 0.5, "spreadSeconds": 0.4}]}
            """);
        var basePath = Path.Combine(_dir, "pareto");
        Assert.Equal(0, await CliApp.RunAsync(["report", "pareto", "--eval", d, "--eval", b, "--latency", e2e, "-o", basePath]));
        Assert.True(File.Exists(basePath + ".md") && new FileInfo(basePath + ".png").Length > 0);
        var json = JsonNode.Parse(File.ReadAllText(basePath + ".json"))!;
        var rows = json["rows"]!.AsArray();
        Assert.Equal(["raw", "D1", "B1"], rows.Select(r => r!["preset"]!.GetValue<string>()));
        var b1 = rows[2]!;
        Assert.Equal("block", b1["scope"]!.GetValue<string>());
        Assert.Equal(0.2, b1["latencySpread"]!.GetValue<double>(), 9);
        Assert.True(b1["onFrontier"]!.GetValue<bool>() && b1["meetsTarget"]!.GetValue<bool>());
        Assert.False(rows[1]!["onFrontier"]!.GetValue<bool>());                                 // B1 is faster and more accurate
        Assert.Equal(["B1"], json["summary"]!["meetingTarget"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(["D2"], json["summary"]!["qualityOnly"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains("Not joined: D2", File.ReadAllText(basePath + ".md"));

        var noRaw = Write("noraw.json", """{"rows":[{"preset":"D1","latencyFraction":0.9}]}""");
        Assert.Equal(2, await CliApp.RunAsync(["report", "pareto", "--eval", d, "--latency", noRaw, "-o", Path.Combine(_dir, "x")]));
        Assert.Equal(2, await CliApp.RunAsync(["report", "pareto", "--eval", d, "--latency", d, "-o", Path.Combine(_dir, "x")]));   // not e2e
        Assert.False(File.Exists(Path.Combine(_dir, "x.json")));
    }

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }
}
