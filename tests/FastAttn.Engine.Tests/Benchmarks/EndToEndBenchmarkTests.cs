using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Benchmarks;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families.DiT;
using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Benchmarks;

[Collection(SequentialCollection.Name)]
public class EndToEndBenchmarkTests
{
    private static DiTGenerationRequest Request => new()
    {
        ClassLabels = [1, 2],
        Seeds = [0],
        Steps = 6,
        Scheduler = SchedulerRegistry.Get("ddim"),
        GuidanceScale = 4,
        SamplesPerForward = 0,
    };

    [Fact]
    public void AttentionTimeIsMeasuredOnlyWhenAskedAndIsPartOfTheWholeGeneration()
    {
        using var model = TinyModels.Random(depth: 3);
        var pipeline = new DiTPipeline(model, null);
        using (var plain = pipeline.Generate(Request))
            Assert.Null(plain.AttentionTime ?? (object?)plain.ModuleTimes);
        using var timed = pipeline.Generate(Request with { TimeAttention = true });
        Assert.NotNull(timed.AttentionTime);
        Assert.InRange(timed.AttentionTime!.Value.Ticks, 1, timed.Elapsed.Ticks);
        var parts = timed.ModuleTimes!;                                                      // every part timed, nested in the blocks
        Assert.Equal(timed.AttentionTime.Value, parts.Attention);
        Assert.True(parts.FeedForward > TimeSpan.Zero && parts.CrossAttention == TimeSpan.Zero);
        Assert.InRange(parts.Blocks.Ticks, (parts.Attention + parts.FeedForward).Ticks, timed.Elapsed.Ticks);
        using var again = pipeline.Generate(Request);
        Assert.True(again.Images.equal(timed.Images).all().item<bool>());                  // timing does not change the result
    }

    private static GenerationRequest Timed => new() { Prompt = "1", Count = 2, Steps = 6, Sampler = "ddim", GuidanceScale = 4, TimeAttention = true };

    [Fact]
    public void RowsCompareEveryPresetWithRawAndPredictFromTheMeasuredShare()
    {
        var costs = new FixedCostModel(TestCostModels.EverythingPays);
        using var model = RandomModels.Create(DiTRandomModels.Tiny, new RandomModelOptions { Depth = 4, Seed = 2, CostModel = costs });
        var generation = model.Prepare(Timed);
        var plan = generation.SearchPlan(0.3, new PlanSearchSettings { CalibrationCount = 2 });  // measured order, the fixed costs
        var full = CompressionPlan.Full(plan.Key, plan.Layers);
        var rows = EndToEndBenchmark.Run(generation, [new EndToEndCase("D-test", plan), new EndToEndCase("D-full", full)], repetitions: 2,
            costModel: costs);

        Assert.Equal(["raw", "D-test", "D-full"], rows.Select(r => r.Preset));              // raw added, first
        var raw = rows[0];
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (raw.LatencyFraction, raw.AttentionLatencyFraction, raw.FlopsFraction, raw.PredictedFraction));
        Assert.Equal((1.0, 1.0, false), (raw.CostAttentionFraction, raw.CostPredictedFraction, raw.AllFull));
        Assert.Equal((true, 1.0), (rows[2].AllFull, rows[2].CostAttentionFraction));          // all full: raw under another name
        Assert.InRange(raw.AttentionShare, 0.0001, 0.9999);
        var d = rows[1];
        var flops = plan.Flops!;
        Assert.Equal(flops.ModuleFraction, d.FlopsFraction, 12);
        Assert.Equal(flops.KernelFraction, d.KernelFlopsFraction, 12);
        Assert.Equal(raw.AttentionShare, d.AttentionShare);
        Assert.Equal(1 - d.AttentionShare * (1 - d.FlopsFraction), d.PredictedFraction, 12);
        Assert.Equal((1 - d.LatencyFraction) / (1 - d.PredictedFraction), d.SavingRatio, 12);
        Assert.False(d.AllFull);
        var timeFraction = PlanCosts.AttentionTimeFraction(plan.Methods, TestCostModels.EverythingPays, cfgBatch: true);
        Assert.Equal(plan.Search!.PredictedAttentionTimeFraction!.Value, timeFraction, 12);
        Assert.Equal(timeFraction, d.CostAttentionFraction!.Value, 12);
        Assert.True(d.PartsMeasured && raw.PartsMeasured);                                   // the parts timed inside raw's runs
        Assert.Equal(1 - d.TransformerShare!.Value * (1 - d.CostTransformerFraction!.Value), d.CostPredictedFraction!.Value, 12);
        Assert.InRange(d.TransformerShare.Value, raw.AttentionShare, 1);
        var parts = d.PartCosts!;
        Assert.Equal(TestCostModels.EverythingPays.FullMs, parts.AttentionMs, 12);          // in the cost model's units
        Assert.True(parts.MlpMs > 0 && parts.OtherMs > 0);
        // An attention-only plan saves only attention time: the same prediction as from the attention share, up to the medians.
        Assert.Equal(1 - d.AttentionShare * (1 - timeFraction), d.CostPredictedFraction!.Value, 1);
        Assert.Equal(0, d.Fallbacks);
        Assert.True(d.LatencyFraction > 0 && d.AttentionLatencyFraction > 0);
    }

    [Fact]
    public void RepetitionsMustBePositiveAndAttentionTimed()
    {
        using var model = RandomModels.Create(DiTRandomModels.Tiny, new RandomModelOptions { Depth = 1 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EndToEndBenchmark.Run(model.Prepare(Timed), [], 0));
        Assert.Contains("repetition", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => EndToEndBenchmark.Run(model.Prepare(Timed with { TimeAttention = false }), [], 1));
    }

    [Theory]
    [InlineData("PixArt-Sigma-XL/2", 512, 1024)]
    [InlineData("STDiT2-XL/2", null, 24)]
    public void EveryFamilysRandomConfigRunsResampledPlans(string config, int? resolution, int tokens)
    {
        using var model = RandomModels.Create(config, new RandomModelOptions { Depth = 1, Resolution = resolution });
        GenerationRequest request = model.Output == OutputKind.Video ? new VideoRequest { Frames = 2, Width = 96, Height = 64 } : new GenerationRequest();
        var generation = model.Prepare(request with { Prompt = "a fox", Steps = 2, TimeAttention = true });
        Assert.Equal(tokens, generation.AttentionShape!.Tokens);
        var plans = EndToEndPlans.Resample(generation, ["raw", "D6"], "tiny-mnist");
        var rows = EndToEndBenchmark.Run(generation, plans.Select(p => p.Case).ToList(), repetitions: 1);
        Assert.Equal(["raw", "D6"], rows.Select(r => r.Preset));
        Assert.Contains("resampled", plans[1].Source, StringComparison.Ordinal);
        Assert.Contains("random weights", model.Describe(generation), StringComparison.Ordinal);
    }

    [Fact]
    public void TheCostPredictionChargesNoSharedCrossAttentionAndCountsAVideosTemporalAttention()
    {
        var costs = new FixedCostModel(TestCostModels.EverythingPays);
        using var model = RandomModels.Create("STDiT2-XL/2", new RandomModelOptions { Depth = 1, CostModel = costs });
        var generation = model.Prepare(new VideoRequest { Frames = 2, Width = 96, Height = 64, Prompt = "a fox", Steps = 2, TimeAttention = true });
        Assert.Equal(2, generation.AttentionShape!.Frames);
        var key = generation.PlanKey(0.1) with { SearchScope = SearchScope.Block };
        var plan = new CompressionPlan(key, [[AttentionMethod.Full], [AttentionMethod.Full]], [[BlockMethod.Full], [BlockMethod.CrossShare]]);
        var rows = EndToEndBenchmark.Run(generation, [new EndToEndCase("B-cross", plan)], repetitions: 1, costModel: costs);

        Assert.Equal((1.0, 1.0), (rows[0].TransformerFlopsFraction, rows[0].CostTransformerFraction));
        var shared = rows[1];
        var (flops, full) = TransformerFlopsAccounting.Evaluate(plan.Methods, plan.Blocks, generation.AttentionShape, key.Window);
        Assert.True(full.TemporalAttention > 0);
        Assert.Equal(full.Total - full.CrossAttention / 2, flops.Total, 6);                // one of two steps shares it
        Assert.Equal(flops.Total / full.Total, shared.TransformerFlopsFraction, 12);
        var parts = shared.PartCosts!;                                                       // measured in raw's runs
        Assert.True(shared.PartsMeasured && parts.CrossMs > 0 && parts.OtherMs > 0);        // the temporal attention is in the rest
        Assert.Equal(1 - parts.CrossMs / 2 / parts.BlockMs, shared.CostTransformerFraction!.Value, 12);   // one of two steps shares it
        Assert.Equal(0, shared.Fallbacks);
    }

    [Fact]
    public void ResampledPlansKeepTheMixOnAnotherGridAndStartFull()
    {
        var o = AttentionMethod.OutputShare;
        var w = AttentionMethod.WindowResidual;
        var f = AttentionMethod.Full;
        var a = AttentionMethod.FullCfgShare;
        var key = new PlanKey("src", 8, 3, "ddim", 4, WindowSpec.ForTokens(16), 0.1, "c");
        var source = new CompressionPlan(key, [[f, f], [o, w], [a, o]]);
        var target = key with { ModelFingerprint = "dst", Steps = 5, LatentHeight = 32, Window = WindowSpec.ForTokens(256) };
        var resampled = PlanResampler.Resample(source, target, 4, new PlanModelShape(256, 64));

        Assert.Equal(target, resampled.Key);
        Assert.Equal(5, resampled.Methods.Length);
        Assert.All(resampled.Methods, row => Assert.Equal(4, row.Length));
        Assert.All(resampled.Methods[0], m => Assert.Equal(f, m));                         // step 0 stays full
        Assert.Equal(new[] { o, o, w, w }, resampled.Methods[2]);                          // step 2 of 5 ↔ step 1 of 3
        Assert.Equal(new[] { a, a, o, o }, resampled.Methods[4]);                          // last ↔ last
        var same = PlanResampler.Resample(source, key, 2);                                 // same grid: the same plan
        Assert.Equal(source.Methods, same.Methods);
    }
}
