using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>The greedy plan search on a tiny PixArt pipeline folder (random transformer, t5-tiny, tiny tokenizer).</summary>
[Collection(SequentialCollection.Name)]
public sealed class PixArtPlanSearchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pixart-search").FullName;

    public PixArtPlanSearchTests() => TinyPixArtFolder.Write(_dir, TestData.Golden());

    private static PixArtGenerationRequest Request(int steps = 4) => new() { Prompts = ["a cat on the mat"], Seeds = [2], Steps = steps };

    [Fact]
    public void TheShippedCalibrationSetHasAtLeast32DistinctCaptions()
    {
        var captions = CalibrationCaptions.Default;
        Assert.True(captions.Count >= 32, $"{captions.Count} captions");
        Assert.Equal(captions.Count, captions.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(captions, c => Assert.InRange(c.Split(' ').Length, 5, 40));
        Assert.Equal(8, CalibrationCaptions.Take(null, 8).Count);
        Assert.Same(captions, CalibrationCaptions.Take(null, null));
        Assert.Equal($"captions:{CalibrationCaptions.DefaultName}[8]", CalibrationCaptions.Describe(CalibrationCaptions.Take(null, 8)));
        Assert.StartsWith("captions:custom2-", CalibrationCaptions.Describe(["a dog", "a cat"]));
        Assert.NotEqual(CalibrationCaptions.Describe(["a dog", "a cat"]), CalibrationCaptions.Describe(["a cat", "a dog"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationCaptions.Take(null, 0));
    }

    [Fact]
    public void ZeroThresholdIsAllFullAndPrefixReuseFindsThePlainSearchesPlanForLess()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var search = new PixArtPlanSearch(pipeline);
        var zero = search.Search(search.OptionsFor(Request(), 0, Captions(3)));
        Assert.All(zero.Methods.SelectMany(r => r), m => Assert.Equal(AttentionMethod.Full, m));
        foreach (double delta in new[] { 0.05, 0.5 })
        {
            var options = search.OptionsFor(Request(), delta, Captions(3));
            var plain = search.Search(options with { PrefixReuse = false });
            var reuse = search.Search(options);
            Assert.Equal(plain.Methods, reuse.Methods);
            Assert.Equal(AttentionMethod.Full, reuse.Methods[0].Distinct().Single());          // step 0 always full
            Assert.True(reuse.Search!.ForwardEquivalents < plain.Search!.ForwardEquivalents,
                $"δ={delta}: prefix reuse {reuse.Search.ForwardEquivalents:F1} vs plain {plain.Search.ForwardEquivalents:F1}");
        }
    }

    [Fact]
    public void AHugeThresholdTakesTheFirstCandidateEverywhereAfterStepZero()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var search = new PixArtPlanSearch(pipeline);
        var plan = search.Search(search.OptionsFor(Request(), 100, Captions(2)));
        Assert.All(plan.Methods.Skip(1).SelectMany(r => r), m => Assert.Equal(AttentionMethods.SearchOrder[0], m));
    }

    [Fact]
    public void ASearchedPlanIsFoundByItsKeyAndRunsInTheGeneration()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var request = Request();
        var options = Search(pipeline).OptionsFor(request, 0.3, ReferenceOrder);         // the paper's 6 of the 40 shipped captions
        var progress = new List<PlanSearchProgress>();
        var plan = new PixArtPlanSearch(pipeline).Search(options, new SynchronousProgress<PlanSearchProgress>(progress.Add));
        Assert.Equal(Search(pipeline).KeyFor(options), plan.Key);
        Assert.Contains($"captions:{CalibrationCaptions.DefaultName}[6]", plan.Key.Calibration);
        Assert.Equal(pipeline.DefaultSize / pipeline.VaeFactor, plan.Key.LatentHeight);
        Assert.Equal("dpm", plan.Key.Scheduler);
        Assert.Contains(progress, p => p.Step == request.Steps - 1 && p.Layer == 1);
        Assert.True(plan.Counts()[AttentionMethod.Full] < plan.Methods.Length * plan.Layers, "δ = 0.3 compresses something");

        var dir = Directory.CreateTempSubdirectory("pixart-plans").FullName;
        new PlanDirectory(dir).Save(plan);
        (CompressionPlan Plan, string Path)? Find(PlanSearchSettings? settings) =>
            PlanLookup.Find(Search(pipeline).KeyFor(Search(pipeline).OptionsFor(request, 0.3, settings)), [dir]);
        var found = Find(ReferenceOrder);
        Assert.NotNull(found);
        Assert.Equal(found.Value.Path, Find(Captions(6))?.Path);
        var all = Search(pipeline).KeyFor(Search(pipeline).OptionsFor(request, 0.3, Captions(40)));
        Assert.Contains($"captions:{CalibrationCaptions.DefaultName}[{CalibrationCaptions.Default.Count}]", all.Calibration);
        Assert.Null(Find(Captions(8)));
        Assert.Null(Find(Captions(40)));                                                     // all 40: another calibration, another plan
        Assert.Null(Find(ReferenceOrder with { Metric = SearchMetric.GuidedOutput }));

        using var raw = pipeline.Generate(request);
        using var compressed = pipeline.Generate(request with { Plan = found.Value.Plan });
        Assert.Equal(0, compressed.AttentionFallbacks);
        double mrae = MeanRelativeAbsoluteError.Compute(raw.Images, compressed.Images);
        Assert.InRange(mrae, 1e-7, 0.5);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void TheGuidedMetricSearchesOnTheUnconditionalFirstBatch()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var options = Search(pipeline).OptionsFor(Request(), 0.1, Captions(3) with { Metric = SearchMetric.GuidedOutput });
        var plan = new PixArtPlanSearch(pipeline).Search(options);
        Assert.Equal(SearchMetric.GuidedOutput, plan.Key.Metric);
        Assert.DoesNotContain("metric", plan.Key.Calibration);
        using var compressed = pipeline.Generate(Request() with { Plan = plan });
        Assert.Equal(0, compressed.AttentionFallbacks);
        var unguided = Search(pipeline).OptionsFor(Request() with { GuidanceScale = 1 }, 0.5, Captions(2));
        var noCfg = new PixArtPlanSearch(pipeline).Search(unguided);
        Assert.DoesNotContain(noCfg.Methods.SelectMany(r => r), m => m.SharesCfg());             // no CFG batch, no ASC candidates
    }

    [Fact]
    public void NonSquareSizesGetTheirOwnPlans()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var wide = Request() with { Width = pipeline.DefaultSize * 2 };
        var options = Search(pipeline).OptionsFor(wide, 0.3, Captions(2));
        Assert.Equal((8, 16), (options.LatentHeight, options.LatentWidth));
        var plan = new PixArtPlanSearch(pipeline).Search(options);
        Assert.Equal("8x16", plan.Key.LatentShape);
        Assert.Contains("-8x16px-", plan.Key.FileName);
        Assert.Equal(32, plan.Shape!.Tokens);
        Assert.Equal(Search(pipeline).KeyFor(options), plan.Key);
        Assert.NotEqual(Search(pipeline).KeyFor(Search(pipeline).OptionsFor(Request(), 0.3, Captions(2))), plan.Key);
        var path = Path.Combine(_dir, "wide.json");
        PlanSerializer.Save(plan, path);
        Assert.Equal(plan.Key, PlanSerializer.Load(path).Key);
        using var image = pipeline.Generate(wide with { Plan = plan });
        Assert.Equal(new long[] { 1, 3, pipeline.DefaultSize, pipeline.DefaultSize * 2 }, image.Images.shape);
        Assert.Throws<PlanMismatchException>(() => pipeline.Generate(Request() with { Plan = plan }));
    }

    [Fact]
    public void BadThresholdsAreRefused()
    {
        using var pipeline = PixArtPipelineFolder.Load(_dir);
        var options = Search(pipeline).OptionsFor(Request(), 0.1, ReferenceOrder) with { Threshold = -1 };
        Assert.Throws<ArgumentOutOfRangeException>(() => new PixArtPlanSearch(pipeline).Search(options));
    }

    private static PixArtPlanSearch Search(PixArtPipeline pipeline) => new(pipeline);

    private static PlanSearchSettings Captions(int count) => new() { CalibrationCount = count, CandidateOrder = CandidateOrder.Reference };

    private static PlanSearchSettings ReferenceOrder => new() { CandidateOrder = CandidateOrder.Reference };

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
