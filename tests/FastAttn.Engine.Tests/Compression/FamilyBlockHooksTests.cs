using FastAttn.Engine.Attention;
using FastAttn.Engine.Models;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static FastAttn.Engine.Attention.BlockMethod;
using static TorchSharp.torch;
using static FastAttn.Engine.Tests.Support.TensorAssert;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>
/// PixArt's and Open-Sora's block hooks against a dense recompute: a step that shares the MLP or the cross-attention output, or
/// reuses the block, equals the
/// model run with the recorded value substituted, bit for bit; a refresh step equals full; the caches are freed after their
/// last read; the caption's cross-attention keys/values, cached once per generation, give the same output as projecting them.
/// </summary>
[Collection(SequentialCollection.Name)]
public sealed class FamilyBlockHooksTests : IDisposable
{
    private readonly TinyFamilyFolders _folders = new("hooks");

    /// <summary>One family's forward pass on step <c>s</c>'s input with a runner (and a cross-attention cache or none).</summary>
    private delegate Tensor Forward(int step, ISelfAttentionRunner runner, CrossAttentionCache? cache);

    private (Forward Forward, int Layers, IDisposable Owner) PixArt()
    {
        var pipeline = PixArtPipelineFolder.Load(_folders.PixArt);
        var model = pipeline.Transformer;
        var c = model.Config;
        var caption = randn([2, 5, c.CaptionChannels], generator: new Generator(11));
        return ((step, runner, cache) =>
        {
            var x = randn([2, c.InChannels, c.SampleSize, c.SampleSize], generator: new Generator(20 + (ulong)step));
            using var pass = model.Prepare(x, full(2, 900 - 200 * step, ScalarType.Int64), caption, null, cache);
            return pass.Run(runner);
        }, c.NumLayers, pipeline);
    }

    private (Forward Forward, int Layers, IDisposable Owner) OpenSora()
    {
        var pipeline = OpenSoraPipelineFolder.Load(_folders.OpenSora);
        var model = pipeline.Transformer;
        var c = model.Config;
        var caption = randn([2, c.ModelMaxLength, c.CaptionChannels], generator: new Generator(12));
        var mask = ones([2, c.ModelMaxLength], ScalarType.Int64);
        mask[0, -1] = tensor(0L);                                                            // a padded caption token on one sample
        var conditions = new VideoConditions(32, 48, 4, 24);
        return ((step, runner, cache) =>
        {
            var x = randn([2, c.InChannels, 4, 8, 12], generator: new Generator(30 + (ulong)step));
            using var pass = model.Prepare(x, full(2, 900f - 200 * step, ScalarType.Float32), caption, mask, conditions, cache);
            return pass.Run(runner);
        }, c.Depth, pipeline);
    }

    [Theory]
    [InlineData("pixart", "full,mlp-share,reuse,full")]
    [InlineData("opensora", "full,mlp-share,reuse,full")]
    [InlineData("pixart", "full,cross-share,cross-mlp-share,full")]
    [InlineData("opensora", "full,cross-share,cross-mlp-share,full")]
    [InlineData("pixart", "full,cross-mlp-asc,cross-share,full")]
    [InlineData("opensora", "full,cross-mlp-asc,cross-share,full")]
    public void SharedOutputsAndReusedBlocksEqualTheDenseRecomputeBitForBitAndRefreshEqualsFull(string family, string plan)
    {
        var steps = plan.Split(',').Select(BlockMethods.Parse).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (forward, layers, owner) = family == "pixart" ? PixArt() : OpenSora();
        using var _ = owner;
        var attention = steps.Select(_ => Enumerable.Repeat(AttentionMethod.Full, layers).ToArray()).ToArray();
        var blocks = steps.Select(m => Enumerable.Repeat(m, layers).ToArray()).ToArray();
        using var runner = new BlockPlanRunner(new FastAttentionRunner(attention, n => WindowSpec.ForTokens(n), true,
            CfgBatchOrder.ConditionalFirst), blocks);
        using var dense = new ReplayRunner();
        for (int s = 0; s < steps.Length; s++)
        {
            runner.BeginStep(s);
            (dense.ReplayMlp, dense.ReplayBlock, dense.ReplayCross) = (steps[s].SharesMlp(), steps[s] == Reuse, steps[s].SharesCross());
            dense.CfgMlp = steps[s].SharesCfg();
            var planned = forward(s, runner, null);
            Assert.True(BitEqual(forward(s, dense, null), planned), $"{family} step {s} ({steps[s].ToShortName()})");
            if (steps[s] != Full)
                Assert.False(BitEqual(forward(s, FullAttentionRunner.Instance, null), planned), $"step {s} substitutes something");
            if (s == steps.Length - 1)
            {
                Assert.True(BitEqual(forward(s, FullAttentionRunner.Instance, null), planned), "a refresh step equals full");
                Assert.Equal(0, runner.BlockCacheBytes);                                    // freed after their last read
            }
            else
            {
                Assert.True(runner.BlockCacheBytes > 0, $"step {s} keeps what step {s + 1} reads");
            }
        }
        Assert.Equal(0, runner.Fallbacks);
    }

    [Theory]
    [InlineData("pixart")]
    [InlineData("opensora")]
    public void CachedCrossAttentionKeysAndValuesGiveTheSameOutputAsProjectingThem(string family)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (forward, layers, owner) = family == "pixart" ? PixArt() : OpenSora();
        using var _ = owner;
        using var cache = new CrossAttentionCache(layers);
        for (int s = 0; s < 3; s++)
            Assert.True(BitEqual(forward(s, FullAttentionRunner.Instance, null), forward(s, FullAttentionRunner.Instance, cache)), $"step {s}");
        Assert.Equal(layers, cache.Computed);                                               // projected on the first pass only
        Assert.True(cache.Bytes > 0);
        cache.Bind(zeros(1));                                                               // another caption: emptied
        Assert.Equal(0, cache.Bytes);
    }

    /// <summary>
    /// The dense recompute: full attention, every block and feed-forward computed, except that the recorded gated MLP
    /// outputs (<see cref="ReplayMlp"/>), block contributions (<see cref="ReplayBlock"/>) or cross-attention outputs
    /// (<see cref="ReplayCross"/>) of the last computing step are substituted.
    /// </summary>
    private sealed class ReplayRunner : ISelfAttentionRunner, IDisposable
    {
        private readonly Dictionary<int, Tensor> _mlp = [], _delta = [], _cross = [];

        public bool ReplayMlp { get; set; }

        public bool ReplayBlock { get; set; }

        public bool ReplayCross { get; set; }

        /// <summary>The feed-forward on the conditional (first) half of the CFG batch, copied to the other half.</summary>
        public bool CfgMlp { get; set; }

        public Tensor Run(int layer, IAttentionProjections attention, Tensor x) => attention.Attend(x);

        public Tensor RunFeedForward(int layer, Func<Tensor, Tensor> feedForward, Tensor x, Tensor gate)
        {
            if (ReplayMlp) return _mlp[layer].alias();
            var half = CfgMlp ? feedForward(x.narrow(0, 0, x.shape[0] / 2)) : null;
            var output = half is null ? gate * feedForward(x) : gate * cat([half, half], 0);
            Keep(_mlp, layer, output);
            return output;
        }

        public Tensor RunBlock(int layer, Tensor h, Func<Tensor, Tensor> block)
        {
            if (ReplayBlock) return h + _delta[layer];
            var output = block(h);
            Keep(_delta, layer, output - h);
            return output;
        }

        public Tensor RunCrossAttention(int layer, Func<Tensor, Tensor> crossAttention, Tensor x)
        {
            if (ReplayCross) return _cross[layer].alias();
            var output = crossAttention(x);
            Keep(_cross, layer, output);
            return output;
        }

        public void Dispose()
        {
            foreach (var t in _mlp.Values.Concat(_delta.Values).Concat(_cross.Values)) t.Dispose();
        }

        private static void Keep(Dictionary<int, Tensor> slots, int layer, Tensor value)
        {
            if (slots.Remove(layer, out var old)) old.Dispose();
            slots[layer] = value.detach().DetachFromDisposeScope();
        }
    }

    public void Dispose() => _folders.Dispose();
}
