using FastAttn.Engine.Attention;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static FastAttn.Engine.Attention.BlockMethod;
using static TorchSharp.torch;
using static FastAttn.Engine.Tests.Support.TensorAssert;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>The block scope's feed-forward and block caches against a dense recompute: bit-exact reuse, exact refresh, lifetimes.</summary>
[Collection(SequentialCollection.Name)]
public class BlockPlanRunnerTests
{
    private const int Layers = 1;

    /// <summary>A one-layer runner whose block methods are <paramref name="steps"/>, full attention everywhere.</summary>
    internal static BlockPlanRunner Runner(bool cfg, params BlockMethod[] steps)
    {
        var attention = Enumerable.Range(0, steps.Length).Select(_ => new[] { AttentionMethod.Full }).ToArray();
        var blocks = steps.Select(m => new[] { m }).ToArray();
        return new BlockPlanRunner(new FastAttentionRunner(attention, n => WindowSpec.ForTokens(n), cfg, CfgBatchOrder.ConditionalFirst), blocks);
    }

    internal static Tensor Random(long seed) => randn([4, 8, 16], generator: new Generator((ulong)seed));

    /// <summary>A deterministic stand-in for the MLP: tanh(x)·2.</summary>
    private static Tensor FeedForward(Tensor x) => x.tanh() * 2;

    [Fact]
    public void MlpShareReturnsTheCachedGatedOutputBitForBitAndARefreshStepEqualsFull()
    {
        using var scope = NewDisposeScope();
        using var runner = Runner(cfg: true, Full, MlpShare, MlpShare, Full);
        var (x0, g0, x1, g1, x3, g3) = (Random(1), Random(2), Random(3), Random(4), Random(5), Random(6));
        runner.BeginStep(0);
        var computed = runner.RunFeedForward(0, FeedForward, x0, g0);
        Assert.True(BitEqual(g0 * FeedForward(x0), computed));
        runner.BeginStep(1);
        Assert.True(BitEqual(computed, runner.RunFeedForward(0, FeedForward, x1, g1)));      // reuse: the cached value itself
        runner.BeginStep(2);
        Assert.True(BitEqual(computed, runner.RunFeedForward(0, FeedForward, x1, g1)));
        runner.BeginStep(3);
        Assert.True(BitEqual(g3 * FeedForward(x3), runner.RunFeedForward(0, FeedForward, x3, g3)));   // refresh = full
        Assert.Equal(0, runner.Fallbacks);
    }

    [Fact]
    public void MlpCfgShareComputesTheConditionalHalfOnlyAndGatesEachHalf()
    {
        using var scope = NewDisposeScope();
        using var runner = Runner(cfg: true, MlpCfgShare);
        var (x, gate) = (Random(7), Random(8));
        runner.BeginStep(0);
        var output = runner.RunFeedForward(0, FeedForward, x, gate);
        var conditional = FeedForward(x.narrow(0, 0, 2));                                   // dense recompute of the conditional half
        Assert.True(BitEqual(gate * cat([conditional, conditional], 0), output));
        Assert.True(BitEqual(gate.narrow(0, 0, 2) * FeedForward(x.narrow(0, 0, 2)), output.narrow(0, 0, 2)));

        using var plain = Runner(cfg: false, MlpCfgShare);                                  // no CFG batch: computed in full
        plain.BeginStep(0);
        Assert.True(BitEqual(gate * FeedForward(x), plain.RunFeedForward(0, FeedForward, x, gate)));
    }

    [Fact]
    public void BlockReuseAddsTheCachedContributionBitForBitAndARefreshStepEqualsFull()
    {
        using var scope = NewDisposeScope();
        using var runner = Runner(cfg: true, Full, Reuse, Reuse, Full);
        static Tensor Block(Tensor h) => h + h.sin() * 0.5;
        var (h0, h1, h2, h3) = (Random(9), Random(10), Random(11), Random(12));
        runner.BeginStep(0);
        var out0 = runner.RunBlock(0, h0, Block);
        Assert.True(BitEqual(Block(h0), out0));
        var contribution = out0 - h0;
        int calls = 0;
        runner.BeginStep(1);
        Assert.True(BitEqual(h1 + contribution, runner.RunBlock(0, h1, h => { calls++; return Block(h); })));
        runner.BeginStep(2);
        Assert.True(BitEqual(h2 + contribution, runner.RunBlock(0, h2, h => { calls++; return Block(h); })));
        Assert.Equal(0, calls);                                                              // the block was skipped
        runner.BeginStep(3);
        Assert.True(BitEqual(Block(h3), runner.RunBlock(0, h3, Block)));
    }

    [Fact]
    public void CachesAreWrittenOnlyForALaterReaderAndFreedAfterTheLastRead()
    {
        using var scope = NewDisposeScope();
        var x = Random(13);
        using (var runner = Runner(cfg: true, Full, MlpShare, Full, Full))
        {
            runner.BeginStep(0);
            runner.RunFeedForward(0, FeedForward, x, x).Dispose();
            Assert.Equal(x.numel() * 4, runner.BlockCacheBytes);                             // step 1 reads it
            runner.BeginStep(1);
            runner.RunFeedForward(0, FeedForward, x, x).Dispose();
            runner.BeginStep(2);
            Assert.Equal(0, runner.BlockCacheBytes);                                         // no later reader: freed
            runner.RunFeedForward(0, FeedForward, x, x).Dispose();
            Assert.Equal(0, runner.BlockCacheBytes);                                         // and not written again
        }
        using (var runner = Runner(cfg: true, Full, Reuse, Full))
        {
            runner.BeginStep(0);
            runner.RunBlock(0, x, h => h * 2).Dispose();
            Assert.Equal(x.numel() * 4, runner.BlockCacheBytes);
            runner.BeginStep(1);
            runner.RunBlock(0, x, h => h * 2).Dispose();
            runner.BeginStep(2);
            Assert.Equal(0, runner.BlockCacheBytes);
            Assert.True(runner.PeakCacheBytes >= x.numel() * 4);
        }
    }

    [Fact]
    public void CacheNeedsLookThroughReusedStepsToTheNextMlpReader()
    {
        BlockMethod[][] plan = [[Full], [Reuse], [MlpShare], [MlpCfgShare], [Full], [Reuse]];
        var (mlp, block, cross) = BlockMethods.CacheNeeds(plan);
        Assert.Equal([true, false, false, false, false, false], mlp.Select(r => r[0]));
        Assert.Equal([true, false, false, false, true, false], block.Select(r => r[0]));
        Assert.All(cross, r => Assert.False(r[0]));                                         // nobody shares the cross-attention
        Assert.True(BlockMethods.MlpReadFrom(plan, 1, 0));
        Assert.False(BlockMethods.MlpReadFrom(plan, 3, 0));
    }

    [Fact]
    public void CrossAttentionCacheNeedsLookThroughReusedStepsAndMlpSharingChainsThroughCrossMlpShare()
    {
        BlockMethod[][] plan = [[Full], [Reuse], [CrossShare], [CrossMlpShare], [MlpCfgShare], [CrossShare], [Full]];
        var (mlp, _, cross) = BlockMethods.CacheNeeds(plan);
        Assert.Equal([true, false, false, false, true, false, false], cross.Select(r => r[0]));
        Assert.Equal([false, false, true, false, false, false, false], mlp.Select(r => r[0]));   // step 2 computes the MLP step 3 reads
        Assert.True(BlockMethods.CrossReadFrom(plan, 3, 0));
        Assert.False(BlockMethods.CrossReadFrom(plan, 6, 0));
        Assert.Equal(CrossMlpShare, BlockMethods.Parse(CrossMlpShare.ToShortName()));
        Assert.Equal(CrossShare, BlockMethods.Parse("cross-share"));
    }
}
