using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Runtime;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static FastAttn.Engine.Attention.BlockMethod;
using static TorchSharp.torch;
using static FastAttn.Engine.Tests.Support.TensorAssert;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>
/// Block forecast (<see cref="BlockMethod.Forecast"/>) against a dense recompute: the first-order extrapolation from the two most
/// recent computed steps bit for bit, reuse when only one exists, which contributions are kept and when they are freed.
/// </summary>
[Collection(SequentialCollection.Name)]
public class BlockForecastTests
{
    private static BlockPlanRunner Runner(params BlockMethod[] steps) => BlockPlanRunnerTests.Runner(cfg: true, steps);

    private static Tensor Random(long seed) => BlockPlanRunnerTests.Random(seed);

    /// <summary>A block whose contribution depends on its input: h + sin(h)·0.5.</summary>
    private static Tensor Block(Tensor h) => h.Plus(h.sin().Times(0.5));

    [Fact]
    public void A_forecast_step_adds_the_linear_extrapolation_of_the_last_two_contributions_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var runner = Runner(Full, Reuse, Full, Forecast, Forecast, Full);
        var h = Enumerable.Range(0, 6).Select(i => Random(20 + i)).ToArray();
        runner.BeginStep(0);
        var d0 = runner.RunBlock(0, h[0], Block) - h[0];
        runner.BeginStep(1);
        runner.RunBlock(0, h[1], Block).Dispose();
        runner.BeginStep(2);
        var d2 = runner.RunBlock(0, h[2], Block) - h[2];
        int calls = 0;
        runner.BeginStep(3);                                                                 // s₁ = 0, s₂ = 2: k = (3 − 2)/(2 − 0)
        var expected3 = h[3].Plus(d2).Plus((d2 - d0).Times(0.5));
        Assert.True(BitEqual(expected3, runner.RunBlock(0, h[3], x => { calls++; return Block(x); })));
        runner.BeginStep(4);                                                                 // k = (4 − 2)/(2 − 0) = 1
        var expected4 = h[4].Plus(d2).Plus((d2 - d0).Times(1.0));
        Assert.True(BitEqual(expected4, runner.RunBlock(0, h[4], x => { calls++; return Block(x); })));
        Assert.Equal(0, calls);                                                              // both skipped
        runner.BeginStep(5);
        Assert.True(BitEqual(Block(h[5]), runner.RunBlock(0, h[5], Block)));                 // a refresh step equals full
        Assert.Equal(0, runner.Fallbacks);
    }

    [Fact]
    public void With_one_computed_step_before_it_a_forecast_reuses_that_contribution()
    {
        using var scope = NewDisposeScope();
        using var runner = Runner(Full, Forecast, Forecast);
        var (h0, h1, h2) = (Random(30), Random(31), Random(32));
        runner.BeginStep(0);
        var d0 = runner.RunBlock(0, h0, Block) - h0;
        runner.BeginStep(1);
        Assert.True(BitEqual(h1.Plus(d0), runner.RunBlock(0, h1, Block)));
        runner.BeginStep(2);
        Assert.True(BitEqual(h2.Plus(d0), runner.RunBlock(0, h2, Block)));
        Assert.Equal(0, runner.Fallbacks);
    }

    [Fact]
    public void Two_contributions_are_kept_while_a_forecast_reads_them_and_freed_after_its_last_read()
    {
        using var scope = NewDisposeScope();
        var x = Random(40);
        long one = x.numel() * 4;
        using var runner = Runner(Full, Full, Forecast, Full, Full, Full);
        runner.BeginStep(0);
        runner.RunBlock(0, x, Block).Dispose();
        Assert.Equal(one, runner.BlockCacheBytes);                                           // step 2's forecast reads steps 0 and 1
        runner.BeginStep(1);
        runner.RunBlock(0, x, Block).Dispose();
        Assert.Equal(2 * one, runner.BlockCacheBytes);
        runner.BeginStep(2);
        runner.RunBlock(0, x, Block).Dispose();
        runner.BeginStep(3);
        Assert.Equal(0, runner.BlockCacheBytes);                                             // no later reader: both freed
        runner.RunBlock(0, x, Block).Dispose();
        Assert.Equal(0, runner.BlockCacheBytes);                                             // and nothing written again
        Assert.Equal(2 * one, runner.PeakCacheBytes);
    }

    [Fact]
    public void Block_readers_and_cache_needs_mark_the_two_steps_a_forecast_extrapolates_from()
    {
        BlockMethod[][] plan = [[Full], [Full], [Reuse], [Full], [Forecast], [Forecast], [MlpShare], [Reuse], [Full]];
        var readers = BlockMethods.BlockReaders(plan);
        Assert.Equal([-1, 5, -1, 5, -1, -1, 7, -1, -1], readers.Select(r => r[0]));   // 1: the reuse, then both forecasts; 3: the forecasts; 6: reuse
        var (_, block, _) = BlockMethods.CacheNeeds(plan);
        Assert.Equal([false, true, false, true, false, false, true, false, false], block.Select(r => r[0]));
        Assert.Equal(3, BlockMethods.LastComputed(plan, 4, 0));
        Assert.Equal(1, BlockMethods.LastComputed(plan, 3, 0));
        Assert.Equal(-1, BlockMethods.LastComputed(plan, 0, 0));
        Assert.Equal(Forecast, BlockMethods.Parse(Forecast.ToShortName()));
        Assert.True(Forecast.SkipsBlock());
        Assert.False(Forecast.ComputesMlp() || Forecast.ComputesCross());
    }

    [Fact]
    public void Plan_memory_counts_both_contributions_of_a_forecast_and_the_flops_of_a_forecast_block_are_zero()
    {
        var shape = new FlopsShape(64, 16, 1, true);
        var key = new PlanKey("fp", 4, 4, "ddim", 2.5, WindowSpec.ForTokens(64), CompressionPresets.BlockStep * 2, "labels:test")
        {
            SearchScope = SearchScope.Block, Metric = SearchMetric.Ssim, BlockForecast = true,
        };
        AttentionMethod[][] methods = [[AttentionMethod.Full], [AttentionMethod.Full], [AttentionMethod.OutputShare], [AttentionMethod.Full]];
        BlockMethod[][] blocks = [[Full], [Full], [Forecast], [Full]];
        var plan = new CompressionPlan(key, methods, blocks);
        var memory = PlanMemory.ByKind(plan, samples: 1, tokens: 64, hidden: 16);
        Assert.Equal(2L * 2 * 64 * 16 * 4, memory.Block);                                   // two (2, 64, 16) fp32 contributions
        Assert.Equal(0, TransformerFlopsAccounting.Entry(AttentionMethod.OutputShare, false, Forecast, shape, 0,
            (AttentionMethod.Full, false, 0)).Total);
    }
}
