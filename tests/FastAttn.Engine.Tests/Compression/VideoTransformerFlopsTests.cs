using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static FastAttn.Engine.Attention.AttentionMethod;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>
/// The whole-transformer account of a video block (issue #19): a tiny STDiT2 shape counted by hand — spatial attention, temporal
/// attention, cross-attention, MLP and modulation — a temporal plan removing exactly its part, a reused block removing its
/// temporal part too; and the block time prediction charging only what runs (a shared cross-attention is not charged).
/// </summary>
public sealed class VideoTransformerFlopsTests
{
    // A tiny STDiT2: S = 6 tokens per frame, T = 4 frames, width D = 32, L = 5 caption tokens, MLP ratio 4, 2 layers, 3 steps.
    private const double S = 6, T = 4, D = 32, L = 5;
    private const double Spatial = T * (8 * S * D * D + 4 * S * S * D);                    // T calls of S tokens: QKV+out, QKᵀ/AV
    private const double Temporal = S * (8 * T * D * D + 4 * T * T * D);                   // S calls of T tokens
    private const double Mlp = 2 * 2 * (T * S) * D * (4 * D);
    private const double Cross = 4 * (T * S) * D * D + 4 * L * D * D + 4 * (T * S) * L * D;
    private const double Modulation = 2 * D * 6 * D + 2 * D * 3 * D;                       // spatial (6C) and temporal (3C) tables

    private static readonly FlopsShape Shape = new(6, 32, 2, CfgBatch: true, CaptionTokens: 5) { Frames = 4, Heads = 2 };

    private static AttentionMethod[][] AllFull => [[Full, Full], [Full, Full], [Full, Full]];

    /// <summary>Temporal plan: AST on step 1 layer 0 and step 2 layer 0, ASC on step 1 layer 1: 3.5 of 6 entries' temporal FLOPs.</summary>
    private static AttentionMethod[][] TemporalAst => [[Full, Full], [OutputShare, FullCfgShare], [OutputShare, Full]];

    private static PlanKey Key(VideoAttention target, int tokens, SearchScope scope = SearchScope.Attention) =>
        new PlanKey("stdit", 4, 3, "iddpm", 4.5, WindowSpec.ForTokens(tokens), 0.1, "c", LatentWidth: 6, LatentFrames: 4)
        {
            Target = target, SearchScope = scope,
        };

    private static PlanModelShape PlanShape(int tokens) =>
        new(tokens, 32) { Heads = 2, CaptionTokens = 5, Frames = 4, FrameTokens = 6 };

    [Fact]
    public void AnAllFullVideoPlanIsTheAnalyticSumOfEveryPart()
    {
        var (plan, full) = TransformerFlopsAccounting.Evaluate(AllFull, null, Shape, WindowSpec.ForTokens(6));
        Assert.Equal(full, plan);
        Assert.Equal(6 * Spatial, full.SelfAttention, 6);
        Assert.Equal(6 * Temporal, full.TemporalAttention, 6);
        Assert.Equal(6 * Cross, full.CrossAttention, 6);
        Assert.Equal(6 * Mlp, full.Mlp, 6);
        Assert.Equal(6 * Modulation, full.Other, 6);
        Assert.Equal(6 * (Spatial + Temporal + Cross + Mlp + Modulation), full.Total, 6);
        var image = Shape with { Frames = 0 };                                              // an image model: no temporal part
        Assert.Equal(0, TransformerFlopsAccounting.Evaluate(AllFull, null, image, WindowSpec.ForTokens(6)).Full.TemporalAttention);
    }

    [Fact]
    public void ATemporalPlanReducesExactlyTheTemporalPart()
    {
        var temporal = new TemporalMethods(TemporalAst, WindowSpec.ForTokens(4));
        var (plan, full) = TransformerFlopsAccounting.Evaluate(AllFull, null, Shape, WindowSpec.ForTokens(6), temporal);
        Assert.Equal(3.5 * Temporal, plan.TemporalAttention, 6);
        Assert.Equal((full.SelfAttention, full.CrossAttention, full.Mlp, full.Other),
            (plan.SelfAttention, plan.CrossAttention, plan.Mlp, plan.Other));
        Assert.Equal(full.Total - 2.5 * Temporal, plan.Total, 6);
        var fractions = AttentionFlops.Evaluate(AllFull, null, Shape, WindowSpec.ForTokens(6), temporal);
        Assert.Equal(1, fractions.ModuleFraction, 12);                                      // the spatial attention is untouched
        Assert.Equal(plan.Total / full.Total, fractions.TransformerFraction, 12);
        var unguided = TransformerFlopsAccounting.Evaluate(AllFull, null, Shape with { CfgBatch = false }, WindowSpec.ForTokens(6), temporal);
        Assert.Equal(4 * Temporal, unguided.Plan.TemporalAttention, 6);                     // no CFG batch: ASC runs full

        var wrong = new TemporalMethods([[Full, Full]], WindowSpec.ForTokens(4));
        Assert.Throws<ArgumentException>(() => TransformerFlopsAccounting.Evaluate(AllFull, null, Shape, WindowSpec.ForTokens(6), wrong));
    }

    [Fact]
    public void AReusedBlockRemovesItsTemporalPartToo()
    {
        AttentionMethod[][] methods = [[Full, Full], [Full, Full], [Full, OutputShare]];
        BlockMethod[][] blocks = [[BlockMethod.Full, BlockMethod.Full], [BlockMethod.Full, BlockMethod.Full], [BlockMethod.Full, BlockMethod.Reuse]];
        var temporal = new TemporalMethods(TemporalAst, WindowSpec.ForTokens(4));
        var (plan, _) = TransformerFlopsAccounting.Evaluate(methods, blocks, Shape, WindowSpec.ForTokens(6), temporal);
        Assert.Equal(5 * Spatial, plan.SelfAttention, 6);
        Assert.Equal(2.5 * Temporal, plan.TemporalAttention, 6);                            // entry (2, 1) was a full temporal call
        Assert.Equal((5 * Cross, 5 * Mlp, 5 * Modulation), (plan.CrossAttention, plan.Mlp, plan.Other));
        Assert.Equal(0, TransformerFlopsAccounting.Entry(OutputShare, false, BlockMethod.Reuse, Shape, 0, (Full, false, 0)).Total);
    }

    [Fact]
    public void VideoPlansCountTheWholeBlockAndKeepTheirClipShapeInTheFile()
    {
        var spatial = new CompressionPlan(Key(VideoAttention.Spatial, 6, SearchScope.Block), [[Full, Full], [Full, OutputShare], [Full, Full]],
            [[BlockMethod.Full, BlockMethod.Full], [BlockMethod.Full, BlockMethod.Reuse], [BlockMethod.CrossShare, BlockMethod.Full]], shape: PlanShape(6));
        var (plan, full) = spatial.TransformerFlops!.Value;
        Assert.Equal(6 * Temporal, full.TemporalAttention, 6);
        Assert.Equal(5 * Temporal, plan.TemporalAttention, 6);                              // the temporal attention of the reused block
        Assert.Equal(4 * Cross, plan.CrossAttention, 6);                                    // reused and shared
        Assert.Equal(plan.Total / full.Total, spatial.Flops!.TransformerFraction, 12);

        var temporalPlan = new CompressionPlan(Key(VideoAttention.Temporal, 4), TemporalAst, shape: PlanShape(4));
        var (t, tFull) = temporalPlan.TransformerFlops!.Value;
        Assert.Equal((6 * Spatial, 3.5 * Temporal), (t.SelfAttention, t.TemporalAttention));
        Assert.Equal(tFull.Total - 2.5 * Temporal, t.Total, 6);
        Assert.Equal(2.5 / 6, 1 - temporalPlan.Flops!.ModuleFraction, 12);                 // the compressed (temporal) attention's own fraction

        var loaded = PlanSerializer.Parse(PlanSerializer.ToJson(temporalPlan), "temporal");
        Assert.Equal((4, 6), (loaded.Shape!.Frames, loaded.Shape.FrameTokens));
        Assert.Equal(temporalPlan.TransformerFlops, loaded.TransformerFlops);
        var old = new CompressionPlan(spatial.Key, spatial.Methods, spatial.Blocks!, shape: new PlanModelShape(6, 32) { CaptionTokens = 5 });
        Assert.Equal(0, old.TransformerFlops!.Value.Full.TemporalAttention);                // a file without the clip shape: as before
    }

    [Fact]
    public void BlockTimeChargesOnlyWhatRunsLikeTheFlopsAccount()
    {
        var image = new FlopsShape(16, 32, 2, CfgBatch: true, CaptionTokens: 8) { Heads = 2 };
        var window = WindowSpec.ForTokens(16);
        var costs = new FixedCostModel(TestCostModels.EverythingPays).CostsFor(PlanCosts.ShapeFor(16, 2, 32, window));
        var block = BlockCosts.FromFlops(costs, image);
        Assert.True(block.CrossMs > 0 && block.MlpMs > 0 && block.OtherMs > 0);
        Assert.Equal(0, block.TemporalMs);
        AttentionMethod[][] methods = [[Full, Full], [Full, Full], [OutputShare, Full]];
        BlockMethod[][] blocks = [[BlockMethod.Full, BlockMethod.Full], [BlockMethod.CrossShare, BlockMethod.CrossMlpShare], [BlockMethod.Reuse, BlockMethod.CrossShare]];
        double b = block.BlockMs, c = block.CrossMs, m = block.MlpMs;
        double expected = (2 * b + (b - c) + (b - c - m) + 0 + (b - c)) / (6 * b);
        Assert.Equal(expected, block.TimeFraction(methods, blocks, costs, cfgBatch: true), 12);
        var (plan, full) = TransformerFlopsAccounting.Evaluate(methods, blocks, image, window);
        Assert.Equal(plan.Total / full.Total, block.TimeFraction(methods, blocks, costs, true), 12);   // every part at one ms per FLOP

        var video = BlockCosts.FromFlops(costs, Shape with { Tokens = 16 });                // a video block: T spatial calls, temporal part
        Assert.Equal((4, costs.FullMs * 4), (video.AttentionCalls, video.AttentionMs));
        Assert.True(video.TemporalMs > 0);
        var temporal = new TemporalMethods(TemporalAst, WindowSpec.ForTokens(4));
        var (vPlan, vFull) = TransformerFlopsAccounting.Evaluate(methods, blocks, Shape with { Tokens = 16 }, window, temporal);
        Assert.Equal(vPlan.Total / vFull.Total, video.TimeFraction(methods, blocks, costs, true, temporal), 12);
    }
}
