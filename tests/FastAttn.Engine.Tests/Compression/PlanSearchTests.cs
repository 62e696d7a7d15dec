using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Compression;

[Collection(SequentialCollection.Name)]
public class PlanSearchTests
{
    private static DiTPlanSearchOptions Options(double threshold, bool prefix = true, int steps = 8) => new()
    {
        Threshold = threshold,
        Steps = steps,
        Scheduler = SchedulerRegistry.Get("ddim"),
        GuidanceScale = 4,
        CalibrationCount = 2,
        PrefixReuse = prefix,
        CandidateOrder = CandidateOrder.Reference,                                          // the reference's plans (no costs)
    };

    [Fact]
    public void ZeroThresholdGivesAnAllFullPlan()
    {
        using var model = TinyModels.SamplingDiT();
        var plan = new DiTPlanSearch(new DiTPipeline(model, null)).Search(Options(0));
        Assert.All(plan.Methods.SelectMany(r => r), m => Assert.Equal(AttentionMethod.Full, m));
    }

    [Fact]
    public void PrefixReuseFindsTheSamePlanAsThePlainSearchForLess()
    {
        using var model = TinyModels.Random(depth: 8, seed: 3);
        var search = new DiTPlanSearch(new DiTPipeline(model, null));
        foreach (double delta in new[] { 0.05, 0.5 })
        {
            var plain = search.Search(Options(delta, prefix: false));
            var reuse = search.Search(Options(delta, prefix: true));
            Assert.Equal(plain.Methods, reuse.Methods);
            Assert.Equal(AttentionMethod.Full, plain.Methods[0].Distinct().Single());            // step 0 always full
            Assert.True(reuse.Search!.ForwardEquivalents < 0.62 * plain.Search!.ForwardEquivalents,
                $"δ={delta}: prefix reuse {reuse.Search.ForwardEquivalents:F1} vs plain {plain.Search.ForwardEquivalents:F1} forward-equivalents");
        }
    }

    [Fact]
    public void PrefixReuseCostsAtMost55PercentOfThePlainSearchOnA28LayerModel()
    {
        using var model = TinyModels.Random(depth: 28, hidden: 32, heads: 2, inputSize: 8, seed: 4);
        var search = new DiTPlanSearch(new DiTPipeline(model, null));
        foreach (double delta in new[] { 0.02, 0.3 })
        {
            var plain = search.Search(Options(delta, prefix: false, steps: 10));
            var reuse = search.Search(Options(delta, prefix: true, steps: 10));
            Assert.Equal(plain.Methods, reuse.Methods);
            double ratio = reuse.Search!.ForwardEquivalents / plain.Search!.ForwardEquivalents;
            var counts = string.Join(" ", reuse.Counts().Select(kv => $"{kv.Key}:{kv.Value}"));
            Assert.True(ratio <= 0.55,
                $"δ={delta}: cost ratio {ratio:F3} ({reuse.Search.ForwardEquivalents:F1} vs {plain.Search.ForwardEquivalents:F1}), plan {counts}");
        }
    }

    [Fact]
    public void AnAllFullPlanReproducesTheRawPipelineExactly()
    {
        using var model = TinyModels.SamplingDiT();
        var pipeline = new DiTPipeline(model, null);
        var request = new DiTGenerationRequest { ClassLabels = [3, 4], Seeds = [5], Steps = 6, Scheduler = SchedulerRegistry.Get("ddim") };
        var full = FullPlanSearch(model, request);
        using var raw = pipeline.Generate(request);
        using var planned = pipeline.Generate(request with { Plan = full });
        Assert.True(raw.Images.equal(planned.Images).all().item<bool>());
    }

    [Fact]
    public void ASearchedPlanCompressesAndGenerationTracksTheSearchTrajectory()
    {
        using var model = TinyModels.SamplingDiT();
        var pipeline = new DiTPipeline(model, null);
        var plan = new DiTPlanSearch(pipeline).Search(Options(0.3));
        var counts = plan.Counts();
        Assert.True(counts[AttentionMethod.Full] < plan.Methods.Length * plan.Layers, "δ = 0.3 compresses something");
        var request = new DiTGenerationRequest { ClassLabels = [3], Seeds = [1], Steps = 8, Scheduler = SchedulerRegistry.Get("ddim"), Plan = plan };
        using var compressed = pipeline.Generate(request);
        using var raw = pipeline.Generate(request with { Plan = null });
        Assert.Equal(0, compressed.AttentionFallbacks);
        Assert.Equal(PlanMemory.PeakBytes(plan.Methods, samples: 1, tokens: 64, hidden: 96, cfgBatch: true), compressed.PeakCacheBytes);
        double mrae = MeanRelativeAbsoluteError.Compute(raw.Images, compressed.Images);
        Assert.True(mrae < 0.5, $"compressed vs raw MRAE {mrae}");
        Assert.False(raw.Images.equal(compressed.Images).all().item<bool>());
    }

    [Fact]
    public void PlansAreCheckedAgainstTheGeneration()
    {
        using var model = TinyModels.SamplingDiT();
        var pipeline = new DiTPipeline(model, null);
        var request = new DiTGenerationRequest { ClassLabels = [3], Steps = 6, Scheduler = SchedulerRegistry.Get("ddim") };
        var plan = FullPlanSearch(model, request);
        var e = Assert.Throws<PlanMismatchException>(() => pipeline.Generate(request with { Steps = 7, Plan = plan }));
        Assert.Equal("steps", e.Field);
        string Mismatch(DiTGenerationRequest r) => Assert.Throws<PlanMismatchException>(() => pipeline.Generate(r with { Plan = plan })).Field;
        Assert.Equal("scheduler", Mismatch(request with { Scheduler = SchedulerRegistry.Get("dpm") }));
        Assert.Equal("guidance scale", Mismatch(request with { GuidanceScale = 2 }));
        using var other = TinyModels.Random(depth: 4, hidden: 96);
        Assert.Equal("model", Assert.Throws<PlanMismatchException>(() => new DiTPipeline(other, null).Generate(request with { Plan = plan })).Field);
    }

    private static CompressionPlan FullPlanSearch(FastAttn.Engine.Models.DiT.DiTModel model, DiTGenerationRequest request)
    {
        int size = request.Size ?? model.Config.InputSize;
        var key = new PlanKey(ModelFingerprint.Of(model), size, request.Steps, request.Scheduler.Name, request.GuidanceScale,
            WindowSpec.ForTokens(model.Config.NumTokens), 0, "none");
        return CompressionPlan.Full(key, model.Config.Depth);
    }
}

[Collection(SequentialCollection.Name)]
public class PresetOrderingTests
{
    [Fact]
    public void TheGuidedMetricJudgesTheGuidedOutputAndHasItsOwnKey()
    {
        using var model = TinyModels.SamplingDiT();
        var pipeline = new DiTPipeline(model, null);
        var search = new DiTPlanSearch(pipeline);
        var raw = new DiTPlanSearchOptions
        {
            Threshold = CompressionPresets.Threshold("D3"), Steps = 6, Scheduler = SchedulerRegistry.Get("ddim"), GuidanceScale = 4,
            CalibrationCount = 2, CandidateOrder = CandidateOrder.Reference,
        };
        var guided = raw with { Metric = SearchMetric.GuidedOutput };

        // Without guidance there is no guided output: same plan, same key.
        var rawNoCfg = search.Search(raw with { GuidanceScale = 1 });
        var guidedNoCfg = search.Search(guided with { GuidanceScale = 1 });
        Assert.Equal(rawNoCfg.Methods, guidedNoCfg.Methods);
        Assert.Equal(rawNoCfg.Key, guidedNoCfg.Key);

        // With guidance the plans are keyed apart, and lookups built with the metric find the right one.
        var rawPlan = search.Search(raw);
        var guidedPlan = search.Search(guided);
        Assert.NotEqual(rawPlan.Key, guidedPlan.Key);
        Assert.Equal(SearchMetric.GuidedOutput, guidedPlan.Key.Metric);
        Assert.Equal(SearchMetric.RawOutput, guidedNoCfg.Key.Metric);
        var request = new DiTGenerationRequest { ClassLabels = [0], Steps = 6, Scheduler = raw.Scheduler, GuidanceScale = 4 };
        var lookup = search.OptionsFor(request, raw.Threshold, new PlanSearchSettings
        {
            CalibrationCount = 2, Metric = SearchMetric.GuidedOutput, CandidateOrder = CandidateOrder.Reference,
        });
        Assert.Equal(guidedPlan.Key, search.KeyFor(lookup));

        // Guidance 4 amplifies the cond − uncond error that CFG sharing makes: the guided metric admits no more of it.
        int Shared(CompressionPlan p) => p.Methods.Sum(row => row.Count(m => m.SharesCfg()));
        Assert.True(Shared(guidedPlan) <= Shared(rawPlan), $"CFG-sharing entries: guided {Shared(guidedPlan)}, raw {Shared(rawPlan)}");
        Assert.True(guidedPlan.Flops!.ModuleFraction >= rawPlan.Flops!.ModuleFraction - 1e-9);
    }

    [Fact]
    public void LargerThresholdsCompressAtLeastAsMuch()
    {
        using var model = TinyModels.SamplingDiT();
        var search = new DiTPlanSearch(new DiTPipeline(model, null));
        var options = new DiTPlanSearchOptions
        {
            Threshold = 0, Steps = 8, Scheduler = SchedulerRegistry.Get("ddim"), CalibrationCount = 2, CandidateOrder = CandidateOrder.Reference,
        };
        var d1 = search.Search(options with { Threshold = CompressionPresets.Threshold("D1") });
        var d6 = search.Search(options with { Threshold = CompressionPresets.Threshold("D6") });
        Assert.True(d6.Flops!.ModuleFraction <= d1.Flops!.ModuleFraction, $"D1 {d1.Flops.ModuleFraction:F3}, D6 {d6.Flops.ModuleFraction:F3}");
        Assert.True(d6.Flops.ModuleFraction < 1.0);
    }
}
