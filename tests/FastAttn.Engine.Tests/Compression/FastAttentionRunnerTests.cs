using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>The DiTFastAttn techniques on one attention module, against their definitions (tolerance 1e-5 relative).</summary>
public class FastAttentionRunnerTests
{
    private const double Tolerance = 1e-5;

    private static SelfAttention Attention()
    {
        manual_seed(5);
        return new SelfAttention(32, 4);
    }

    private static AttentionMethod[][] Plan(params AttentionMethod[] perStep) => perStep.Select(m => new[] { m }).ToArray();

    private static Tensor Input(long batch = 4, long tokens = 64, long seed = 9)
    {
        using var g = new TorchSharp.torch.Generator((ulong)seed);
        return randn([batch, tokens, 32], generator: g);
    }

    [Fact]
    public void ARefreshStepEqualsFullAndAWindowCoveringTheSequenceEqualsFull()
    {
        using var attn = Attention();
        using var noGrad = no_grad();
        using var x = Input();
        using var full = attn.forward(x);
        var wide = new WindowSpec(WindowSemantics.TokenBand, 64, 16, 1);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.Full, AttentionMethod.WindowResidual, AttentionMethod.Window), _ => wide, true, CfgBatchOrder.ConditionalFirst);
        runner.BeginStep(0);
        using var refresh = runner.Run(0, attn, x);                                         // full + residual computed
        TensorAssert.RelativeClose(full, refresh, Tolerance, "refresh step");
        Assert.True(runner.CacheBytes > 0);
        runner.BeginStep(1);
        using var wars = runner.Run(0, attn, x);
        TensorAssert.RelativeClose(full, wars, Tolerance, "WA-RS, window ≥ N");
        runner.BeginStep(2);
        using var window = runner.Run(0, attn, x);
        TensorAssert.RelativeClose(full, window, Tolerance, "window ≥ N");
    }

    [Fact]
    public void WindowResidualOnTheSameInputReproducesFullAttention()
    {
        // R = full − window at step 0; at step 1 on the same input window + R = full exactly, whatever the window.
        using var attn = Attention();
        using var noGrad = no_grad();
        using var x = Input();
        using var full = attn.forward(x);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.Full, AttentionMethod.WindowResidual), n => WindowSpec.ForTokens(n), true, CfgBatchOrder.ConditionalFirst);
        runner.BeginStep(0);
        runner.Run(0, attn, x).Dispose();
        runner.BeginStep(1);
        using var wars = runner.Run(0, attn, x);
        TensorAssert.RelativeClose(full, wars, Tolerance, "WA-RS");
        // without the residual the window alone differs
        using var runner2 = new FastAttentionRunner(Plan(AttentionMethod.Window), n => WindowSpec.ForTokens(n), true, CfgBatchOrder.ConditionalFirst);
        runner2.BeginStep(0);
        using var window = runner2.Run(0, attn, x);
        Assert.True(TensorAssert.RelativeError(full, window) > 1e-3);
    }

    [Fact]
    public void CfgSharingEqualsFullWhenBothHalvesAreEqual()
    {
        using var attn = Attention();
        using var noGrad = no_grad();
        using var half = Input(2);
        using var x = cat([half, half], 0);
        using var full = attn.forward(x);
        foreach (var order in new[] { CfgBatchOrder.ConditionalFirst, CfgBatchOrder.UnconditionalFirst })
        {
            using var runner = new FastAttentionRunner(Plan(AttentionMethod.FullCfgShare), n => WindowSpec.ForTokens(n), true, order);
            runner.BeginStep(0);
            using var asc = runner.Run(0, attn, x);
            TensorAssert.RelativeClose(full, asc, Tolerance, $"ASC {order}");
        }
    }

    [Fact]
    public void CfgSharingUsesTheConditionalHalfAndItsResidual()
    {
        // Uncond-first (PixArt) order: the conditional half is the second; WA-RS+ASC must use that half's residual.
        using var attn = Attention();
        using var noGrad = no_grad();
        using var x = Input(4);
        var spec = WindowSpec.ForTokens(64);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.Full, AttentionMethod.WindowResidualCfgShare), _ => spec, true, CfgBatchOrder.UnconditionalFirst);
        runner.BeginStep(0);
        runner.Run(0, attn, x).Dispose();
        runner.BeginStep(1);
        using var shared = runner.Run(0, attn, x);
        using var cond = x.narrow(0, 2, 2);
        using var expectedCond = attn.forward(cond);                                       // window + cond residual = full on the cond half
        TensorAssert.RelativeClose(expectedCond, shared.narrow(0, 2, 2), Tolerance, "conditional half");
        TensorAssert.RelativeClose(expectedCond, shared.narrow(0, 0, 2), Tolerance, "shared with the unconditional half");
    }

    [Fact]
    public void OutputShareReusesTheLastComputedOutput()
    {
        using var attn = Attention();
        using var noGrad = no_grad();
        using var x0 = Input(seed: 1);
        using var x1 = Input(seed: 2);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.Full, AttentionMethod.OutputShare, AttentionMethod.OutputShare), n => WindowSpec.ForTokens(n), true, CfgBatchOrder.ConditionalFirst);
        runner.BeginStep(0);
        using var first = runner.Run(0, attn, x0);
        runner.BeginStep(1);
        using var second = runner.Run(0, attn, x1);
        runner.BeginStep(2);
        using var third = runner.Run(0, attn, x1);
        Assert.True(first.equal(second).all().item<bool>());
        Assert.True(first.equal(third).all().item<bool>());
        Assert.Equal(0, runner.Fallbacks);
    }

    [Fact]
    public void WithoutACfgBatchAscDoesNotApply()
    {
        using var attn = Attention();
        using var noGrad = no_grad();
        using var x = Input(3);                                                              // odd batch: no CFG pair
        using var full = attn.forward(x);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.FullCfgShare), n => WindowSpec.ForTokens(n), cfgBatch: false, CfgBatchOrder.ConditionalFirst);
        runner.BeginStep(0);
        Assert.Equal(AttentionMethod.Full, runner.MethodFor(0));
        using var output = runner.Run(0, attn, x);
        TensorAssert.RelativeClose(full, output, Tolerance, "ASC without CFG = full");
    }

    [Fact]
    public void ACacheCapFallsBackToFullAttentionAndSaysSo()
    {
        using var attn = Attention();
        using var noGrad = no_grad();
        using var x = Input();
        using var full = attn.forward(x);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.Full, AttentionMethod.OutputShare), n => WindowSpec.ForTokens(n), true,
            CfgBatchOrder.ConditionalFirst, cacheCapBytes: 1024);
        runner.BeginStep(0);
        runner.Run(0, attn, x).Dispose();
        Assert.Equal(0, runner.CacheBytes);                                                  // the output did not fit
        runner.BeginStep(1);
        using var output = runner.Run(0, attn, x);
        Assert.Equal(1, runner.Fallbacks);
        TensorAssert.RelativeClose(full, output, Tolerance, "fallback to full");
    }

    [Fact]
    public void CachesAreWrittenOnlyWhereALaterStepReadsThem()
    {
        AttentionMethod F = AttentionMethod.Full, A = AttentionMethod.OutputShare, W = AttentionMethod.WindowResidual, C = AttentionMethod.FullCfgShare;
        var (residual, output) = FastAttentionRunner.CacheNeeds([[F], [A], [W], [C], [W], [F], [F]], true);
        Assert.Equal([true, false, false, true, false, false, false], residual.Select(r => r[0]).ToArray());
        Assert.Equal([true, false, false, false, false, false, false], output.Select(r => r[0]).ToArray());
    }
}
