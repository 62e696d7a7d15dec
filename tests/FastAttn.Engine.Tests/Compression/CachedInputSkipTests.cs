using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;
using static FastAttn.Engine.Tests.Support.TensorAssert;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>
/// A runner says when it returns a cached attention or MLP output without reading the input, and a DiT block then skips
/// computing that input (norm and modulation): the same output, less work.
/// </summary>
[Collection(SequentialCollection.Name)]
public class CachedInputSkipTests
{
    private static Tensor Random(long seed, params long[] shape) => randn(shape, generator: new Generator((ulong)seed));

    private static BlockPlanRunner Runner(AttentionMethod[] attention, BlockMethod[] blocks) => new(
        new FastAttentionRunner(attention.Select(m => new[] { m }).ToArray(), n => WindowSpec.ForTokens(n), true, CfgBatchOrder.ConditionalFirst),
        blocks.Select(m => new[] { m }).ToArray());

    [Fact]
    public void ReuseQueriesAreTrueExactlyWhenTheCachedOutputIsReturnedWhateverTheInput()
    {
        using var scope = NewDisposeScope();
        using var attention = new SelfAttention(16, 2);
        using var runner = Runner([AttentionMethod.Full, AttentionMethod.OutputShare, AttentionMethod.OutputShare],
            [BlockMethod.Full, BlockMethod.MlpShare, BlockMethod.MlpShare]);
        var (x, gate) = (Random(1, 4, 8, 16), Random(2, 4, 8, 16));
        static Tensor FeedForward(Tensor t) => t.tanh();
        runner.BeginStep(0);
        Assert.False(runner.ReusesAttention(0, x.shape));
        Assert.False(runner.ReusesFeedForward(0, x.shape));
        var attended = runner.Run(0, attention, x);
        var fed = runner.RunFeedForward(0, FeedForward, x, gate);
        runner.BeginStep(1);
        Assert.True(runner.ReusesAttention(0, x.shape));
        Assert.True(runner.ReusesFeedForward(0, x.shape));
        Assert.False(runner.ReusesAttention(0, [2, 8, 16]));                               // another shape: computed (a fallback)
        var other = Random(3, 4, 8, 16);                                                    // any input of the shape
        Assert.True(BitEqual(attended, runner.Run(0, attention, other)));
        Assert.True(BitEqual(fed, runner.RunFeedForward(0, FeedForward, other, other)));
        Assert.Equal(0, runner.Fallbacks);
    }

    [Fact]
    public void ADiTBlockPassesItsInputInsteadOfTheModulatedOneWhenReusedAndGivesTheSameOutput()
    {
        using var scope = NewDisposeScope();
        using var block = new DiTBlock(new DiTConfig(8, 2, 1, 16, 1, 2, 3));
        var (h0, h1, c0, c1) = (Random(4, 4, 8, 16), Random(5, 4, 8, 16), Random(6, 4, 16), Random(7, 4, 16));
        AttentionMethod[] attention = [AttentionMethod.Full, AttentionMethod.OutputShare];
        BlockMethod[] blocks = [BlockMethod.Full, BlockMethod.MlpShare];
        using var skipping = Runner(attention, blocks);
        using var inner = Runner(attention, blocks);
        var reading = new ReadingRunner(inner);                                             // never skips: computes every input
        var outputs = new List<(Tensor Skipping, Tensor Reading)>();
        foreach (var (step, h, c) in new[] { (0, h0, c0), (1, h1, c1) })
        {
            skipping.BeginStep(step);
            reading.BeginStep(step);
            var spy = new SpyRunner(skipping);
            outputs.Add((block.Forward(h, c, 0, spy), block.Forward(h, c, 0, reading)));
            Assert.Equal(step == 1, ReferenceEquals(h, spy.Inputs[0]));                     // reused: the block input stands in
        }
        Assert.All(outputs, pair => Assert.True(BitEqual(pair.Reading, pair.Skipping)));
        Assert.Equal(0, skipping.Fallbacks + inner.Fallbacks);
    }

    /// <summary>Forwards everything but the reuse queries (default false), so the block computes every input.</summary>
    private sealed class ReadingRunner(ISelfAttentionRunner inner) : ISelfAttentionRunner
    {
        public void BeginStep(int stepIndex) => inner.BeginStep(stepIndex);

        public Tensor Run(int layer, IAttentionProjections attention, Tensor x) => inner.Run(layer, attention, x);

        public Tensor RunFeedForward(int layer, Func<Tensor, Tensor> feedForward, Tensor x, Tensor gate) =>
            inner.RunFeedForward(layer, feedForward, x, gate);
    }

    /// <summary>Forwards everything and records the attention and feed-forward inputs it is given.</summary>
    private sealed class SpyRunner(ISelfAttentionRunner inner) : ISelfAttentionRunner
    {
        public List<Tensor> Inputs { get; } = [];

        public bool ReusesAttention(int layer, long[] shape) => inner.ReusesAttention(layer, shape);

        public bool ReusesFeedForward(int layer, long[] shape) => inner.ReusesFeedForward(layer, shape);

        public Tensor Run(int layer, IAttentionProjections attention, Tensor x)
        {
            Inputs.Add(x);
            return inner.Run(layer, attention, x);
        }

        public Tensor RunFeedForward(int layer, Func<Tensor, Tensor> feedForward, Tensor x, Tensor gate)
        {
            Inputs.Add(x);
            return inner.RunFeedForward(layer, feedForward, x, gate);
        }
    }
}
