using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>The block-scope search and its plans end to end on small DiTs (fixed costs: the test cost model, no timing).</summary>
[Collection(SequentialCollection.Name)]
public class BlockScopeSearchTests
{
    private static DiTPlanSearchOptions Options(double threshold, CandidateOrder order, SearchScope scope, int steps = 6) => new()
    {
        Threshold = threshold,
        Steps = steps,
        Scheduler = SchedulerRegistry.Get("ddim"),
        GuidanceScale = 4,
        CalibrationCount = 2,
        CandidateOrder = order,
        SearchScope = scope,
    };

    private static string Text(AttentionMethod[][] methods) =>
        string.Join(" | ", methods.Select(r => string.Join(",", r.Select(m => m.ToShortName()))));

    /// <summary>The attention scope finds exactly the plans of the base commit 014d80b (searched there with this code).</summary>
    [Theory]
    [InlineData(CandidateOrder.Reference, 0.002,
        "full,full,full,full | full,full,full,full | full,asc,full,wars | wars,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast")]
    [InlineData(CandidateOrder.Reference, 0.008,
        "full,full,full,full | full,asc,asc,wars+asc | wars,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast")]
    [InlineData(CandidateOrder.Reference, 0.05,
        "full,full,full,full | wars+asc,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast")]
    [InlineData(CandidateOrder.Measured, 0.002,
        "full,full,full,full | full,full,full,full | full,asc,full,asc | full,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast")]
    [InlineData(CandidateOrder.Measured, 0.008,
        "full,full,full,full | full,asc,asc,asc | asc,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast | ast,ast,ast,ast")]
    public void TheAttentionScopeFindsTheSamePlansAsBefore(CandidateOrder order, double delta, string expected)
    {
        using var model = TinyModels.Random(depth: 4, seed: 7);
        var plan = new DiTPlanSearch(new DiTPipeline(model, null)).Search(Options(delta, order, SearchScope.Attention));
        Assert.Equal(expected, Text(plan.Methods));
        Assert.Null(plan.Blocks);
    }

    [Fact]
    public void ABlockScopeAllFullPlanReproducesTheRawPipelineBitForBit()
    {
        using var model = TinyModels.SamplingDiT();
        var pipeline = new DiTPipeline(model, null);
        var plan = new DiTPlanSearch(pipeline).Search(Options(0, CandidateOrder.Reference, SearchScope.Block));
        Assert.All(plan.Blocks!.SelectMany(r => r), m => Assert.Equal(BlockMethod.Full, m));
        var request = new DiTGenerationRequest { ClassLabels = [3, 4], Seeds = [5], Steps = 6, Scheduler = SchedulerRegistry.Get("ddim") };
        using var raw = pipeline.Generate(request);
        using var planned = pipeline.Generate(request with { Plan = plan });
        Assert.True(raw.Images.equal(planned.Images).all().item<bool>());
    }

    [Fact]
    public void ABlockScopeSearchReusesBlocksAndSharesMlpsAndItsPlanRunsWithoutFallbacksInChunks()
    {
        using var model = TinyModels.Random(depth: 4, seed: 7);
        var pipeline = new DiTPipeline(model, null);
        var plan = new DiTPlanSearch(pipeline).Search(Options(0.05, CandidateOrder.Measured, SearchScope.Block));
        Assert.Equal(SearchScope.Block, plan.Key.SearchScope);
        Assert.All(plan.Blocks![0], m => Assert.Equal(BlockMethod.Full, m));                 // step 0 stays full
        var counts = plan.BlockCounts();
        Assert.True(counts[BlockMethod.Reuse] > 0, string.Join(" ", counts));
        for (int s = 0; s < plan.Methods.Length; s++)                                       // a reused block's attention entry is AST
            for (int l = 0; l < plan.Layers; l++)
                if (plan.Blocks[s][l] == BlockMethod.Reuse) Assert.Equal(AttentionMethod.OutputShare, plan.Methods[s][l]);
        Assert.True(plan.Flops!.TransformerFraction < 0.7, $"transformer FLOPs {plan.Flops.TransformerFraction:P1}");

        var request = new DiTGenerationRequest { ClassLabels = [1, 2, 3], Seeds = [9], Steps = 6, Scheduler = SchedulerRegistry.Get("ddim"),
            GuidanceScale = 4, Plan = plan, Size = 16 };
        using var whole = pipeline.Generate(request);
        using var chunked = pipeline.Generate(request with { SamplesPerForward = 1 });
        Assert.Equal(0, whole.AttentionFallbacks);
        Assert.Equal(0, chunked.AttentionFallbacks);
        Assert.True(whole.PeakCacheBytes > 0);
    }

    [Fact]
    public void TheBlockScopeWithoutGuidanceNeverSharesAcrossCfgHalves()
    {
        using var model = TinyModels.Random(depth: 4, seed: 7);
        var plan = new DiTPlanSearch(new DiTPipeline(model, null))
            .Search(Options(0.3, CandidateOrder.Reference, SearchScope.Block) with { GuidanceScale = 1 });
        Assert.DoesNotContain(BlockMethod.MlpCfgShare, plan.Blocks!.SelectMany(r => r));
        Assert.DoesNotContain(plan.Methods.SelectMany(r => r), m => m.SharesCfg());
    }

    [Fact]
    public void AForecastingSearchForecastsOnlyAfterTwoComputedStepsAndWithoutForecastOnlyReuses()
    {
        using var model = TinyModels.Random(depth: 4, seed: 7);
        var pipeline = new DiTPipeline(model, null);
        var options = Options(0.05, CandidateOrder.Measured, SearchScope.Block, steps: 8);
        var plan = new DiTPlanSearch(pipeline).Search(options);
        Assert.True(plan.Key.BlockForecast);
        Assert.True(plan.BlockCounts()[BlockMethod.Forecast] > 0, string.Join(" ", plan.BlockCounts()));
        for (int s = 0; s < plan.Methods.Length; s++)
            for (int l = 0; l < plan.Layers; l++)
                if (plan.Blocks![s][l] == BlockMethod.Forecast)
                {
                    Assert.Equal(AttentionMethod.OutputShare, plan.Methods[s][l]);
                    Assert.True(BlockMethods.LastComputed(plan.Blocks, BlockMethods.LastComputed(plan.Blocks, s, l), l) >= 0,
                        $"step {s} layer {l} forecasts from fewer than two computed steps");
                }
        var request = new DiTGenerationRequest { ClassLabels = [1, 2, 3], Seeds = [9], Steps = 8, Scheduler = SchedulerRegistry.Get("ddim"),
            GuidanceScale = 4, Plan = plan, Size = 16 };
        using (var whole = pipeline.Generate(request))
            Assert.Equal(0, whole.AttentionFallbacks);
        using (var chunked = pipeline.Generate(request with { SamplesPerForward = 1 }))
            Assert.Equal(0, chunked.AttentionFallbacks);

        var reuseOnly = new DiTPlanSearch(pipeline).Search(options with { BlockForecast = false });
        Assert.False(reuseOnly.Key.BlockForecast);
        Assert.DoesNotContain(BlockMethod.Forecast, reuseOnly.Blocks!.SelectMany(r => r));
        Assert.NotEqual(plan.Key.FileName, reuseOnly.Key.FileName);                          // never found for each other
    }
}
