using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static FastAttn.Engine.Attention.AttentionMethod;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>The latency-aware (measured) candidate order, with fixed costs only: what is skipped, the order, refresh charging.</summary>
[Collection(SequentialCollection.Name)]
public class MeasuredOrderTests
{
    private static readonly AttentionMethod[] Reference = [.. AttentionMethods.SearchOrder];

    private static AttentionMethod[][] Plan(params AttentionMethod[][] steps) => steps;

    [Fact]
    public void CandidatesNotMeasurablyCheaperThanFullAreSkippedAndTheRestGoLargestSavingFirst()
    {
        // As on a CPU at N = 64: WA-RS 1.8× full, WA-RS+ASC 1.35×, ASC 0.74×, AST 0.985× (saves 1.5% < 3%).
        var costs = TestCostModels.Costs(full: 1, refresh: 2, wars: 1.8, asc: 0.74, warsAsc: 1.35, ast: 0.985);
        var policy = CandidatePolicy.Measured(Reference, costs, PlanSearchOptions.DefaultMinimumSaving);
        Assert.Equal([FullCfgShare], policy.For(Plan([Full], [Full]), 1, 0));
        Assert.Equal([OutputShare, WindowResidualCfgShare, WindowResidual], policy.NeverTried);

        var cheap = TestCostModels.Costs(full: 1, refresh: 1, wars: 0.5, asc: 0.6, warsAsc: 0.3, ast: 0.9);
        var ordered = CandidatePolicy.Measured(Reference, cheap, 0.03);
        Assert.Equal([WindowResidualCfgShare, WindowResidual, FullCfgShare, OutputShare], ordered.For(Plan([Full], [Full]), 1, 0));
        Assert.Empty(ordered.NeverTried);
        Assert.Equal(Reference, CandidatePolicy.Reference(Reference).For(Plan([Full], [Full]), 1, 0));   // the reference order: as given
    }

    [Fact]
    public void ARefreshStepIsChargedToTheFirstResidualReaderAfterAFullStep()
    {
        // WA-RS saves 0.4 alone, but the full step before it would have to refresh (+0.5): not worth it there.
        var costs = TestCostModels.Costs(full: 1, refresh: 1.5, wars: 0.6, asc: 0.7, warsAsc: 0.9, ast: 0.98);
        var policy = CandidatePolicy.Measured(Reference, costs, 0.03);
        Assert.Equal([FullCfgShare], policy.For(Plan([Full], [Full]), 1, 0));
        Assert.Equal([FullCfgShare], policy.For(Plan([Full], [OutputShare], [Full]), 2, 0));   // AST between: still the one to refresh
        // Once a WA-RS step reads the residual, the refresh is paid: a second reader saves its whole 0.4.
        Assert.Equal([WindowResidual, FullCfgShare, WindowResidualCfgShare], policy.For(Plan([Full], [WindowResidual], [Full]), 2, 0));
        Assert.Equal(0.5, PlanCosts.RefreshCostMs(Plan([Full], [Full]), 1, 0, WindowResidual, costs), 12);
        Assert.Equal(0, PlanCosts.RefreshCostMs(Plan([Full], [Full]), 1, 0, FullCfgShare, costs));

        // With a cheap refresh the same step takes WA-RS first: the charge changed the choice.
        var cheapRefresh = costs with { RefreshMs = 1.05 };
        Assert.Equal([WindowResidual, FullCfgShare, WindowResidualCfgShare],
            CandidatePolicy.Measured(Reference, cheapRefresh, 0.03).For(Plan([Full], [Full]), 1, 0));
    }

    [Fact]
    public void ThePredictedAttentionTimeCountsEveryEntryAndItsRefreshSteps()
    {
        var costs = TestCostModels.Costs(full: 1, refresh: 1.5, wars: 0.6, asc: 0.7, warsAsc: 0.9, ast: 0);
        // layer 0: full (refreshes), WA-RS, AST; layer 1: full, ASC, full.
        var methods = Plan([Full, Full], [WindowResidual, FullCfgShare], [OutputShare, Full]);
        Assert.Equal((1.5 + 1 + 0.6 + 0.7 + 0 + 1) / 6, PlanCosts.AttentionTimeFraction(methods, costs), 12);
        Assert.Equal((1.5 + 1 + 0.6 + 1 + 0 + 1) / 6, PlanCosts.AttentionTimeFraction(methods, costs, cfgBatch: false), 12);
        Assert.Equal(1, PlanCosts.AttentionTimeFraction(Plan([Full], [Full]), costs));
    }

    [Fact]
    public void WithCostsInTheReferenceOrderTheMeasuredSearchFindsTheReferencePlan()
    {
        using var model = TinyModels.SamplingDiT();
        var search = new DiTPlanSearch(new DiTPipeline(model, null));
        var costs = TestCostModels.Costs(full: 1, refresh: 1, wars: 0.4, asc: 0.6, warsAsc: 0.2, ast: 0);   // AST, WA-RS+ASC, WA-RS, ASC
        var options = Options(0.3) with { CostModel = new FixedCostModel(costs) };
        var measured = search.Search(options);
        var reference = search.Search(options with { CandidateOrder = CandidateOrder.Reference });
        Assert.Equal(reference.Methods, measured.Methods);
        Assert.True(reference.Counts()[Full] < reference.Methods.Length * reference.Layers, "δ = 0.3 compresses something");
        Assert.Equal((CandidateOrder.Measured, "cpu"), (measured.Key.CandidateOrder, measured.Key.DeviceKind));
        Assert.Equal((CandidateOrder.Reference, null), (reference.Key.CandidateOrder, reference.Key.DeviceKind));
        Assert.NotEqual(reference.Key.FileName, measured.Key.FileName);
        Assert.Null(reference.Search!.PredictedAttentionTimeFraction);
        Assert.Equal(PlanCosts.AttentionTimeFraction(measured, costs), measured.Search!.PredictedAttentionTimeFraction!.Value, 12);
    }

    [Fact]
    public void TheMeasuredSearchUsesOnlyWhatPaysAtTheModelsShape()
    {
        using var model = TinyModels.SamplingDiT();
        var search = new DiTPlanSearch(new DiTPipeline(model, null));
        var shapes = new List<AttentionShape>();
        var cpuLike = new FixedCostModel(shape =>
        {
            shapes.Add(shape);
            return TestCostModels.Costs(full: 1, refresh: 2, wars: 1.8, asc: 0.74, warsAsc: 1.35, ast: 1.2);
        });
        var plan = search.Search(Options(100) with { CostModel = cpuLike });                // δ so large that anything tried is kept
        Assert.Equal(new AttentionShape(64, 4, 24, 2).ToString(), Assert.Single(shapes.Select(s => s.ToString()).Distinct()));  // tiny DiT: 64 tokens, 4 heads of 24, one CFG pair
        Assert.All(plan.Methods.Skip(1).SelectMany(r => r), m => Assert.Equal(FullCfgShare, m));
        Assert.Equal(0.74 + 0.26 / plan.Methods.Length, plan.Search!.PredictedAttentionTimeFraction!.Value, 9);
    }

    private static DiTPlanSearchOptions Options(double threshold) => new()
    {
        Threshold = threshold,
        Steps = 6,
        Scheduler = SchedulerRegistry.Get("ddim"),
        GuidanceScale = 4,
        CalibrationCount = 2,
    };
}
