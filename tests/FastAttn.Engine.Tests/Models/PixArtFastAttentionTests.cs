using FastAttn.Engine.Attention;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Models;

/// <summary>DiTFastAttn's runner on PixArt's self-attention (cross-attention untouched), with its [uncond; cond] CFG order.</summary>
public class PixArtFastAttentionTests
{
    private static AttentionMethod[][] Plan(params AttentionMethod[] perStep) => perStep.Select(m => new[] { m, m }).ToArray();

    private static (Tensor X, Tensor T, Tensor Caption, Tensor Mask) CfgBatch()
    {
        var io = TestData.Load(TestData.Golden("pixart-tiny", "io.safetensors"));
        // [uncond; cond]: the same latents and timestep, two different captions (sample 0 = "negative", sample 1 = prompt)
        var x = cat([io["x"][..1], io["x"][..1]], 0);
        var t = tensor(new long[] { 500, 500 });
        return (x, t, io["encoder_hidden_states"], io["encoder_attention_mask"]);
    }

    [Fact]
    public void AnAllFullPlanIsTheRawModel()
    {
        using var model = PixArtCheckpoint.Load(TestData.Golden("pixart-tiny"));
        var (x, t, c, m) = CfgBatch();
        using var noGrad = no_grad();
        using var raw = model.forward(x, t, c, m);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.Full, AttentionMethod.Full), n => WindowSpec.ForTokens(n), true, CfgBatchOrder.UnconditionalFirst);
        runner.BeginStep(0);
        using var s0 = model.Forward(x, t, c, m, runner);
        runner.BeginStep(1);
        using var s1 = model.Forward(x, t, c, m, runner);
        Assert.True(raw.equal(s0).all().item<bool>() && raw.equal(s1).all().item<bool>());
    }

    [Fact]
    public void CfgSharingComputesTheConditionalHalfWhichIsSecondInPixArt()
    {
        using var model = PixArtCheckpoint.Load(TestData.Golden("pixart-tiny"));
        var (x, t, c, m) = CfgBatch();
        using var noGrad = no_grad();
        using var raw = model.forward(x, t, c, m);
        foreach (var (order, conditional) in new[] { (CfgBatchOrder.UnconditionalFirst, 1), (CfgBatchOrder.ConditionalFirst, 0) })
        {
            using var runner = new FastAttentionRunner(Plan(AttentionMethod.FullCfgShare), n => WindowSpec.ForTokens(n), true, order);
            runner.BeginStep(0);
            using var shared = model.Forward(x, t, c, m, runner);
            // the half whose attention is computed follows the raw model exactly at every layer; the other borrows it
            TensorAssert.RelativeClose(raw[conditional], shared[conditional], 1e-6, $"computed half ({order})");
            Assert.True(TensorAssert.RelativeError(raw[1 - conditional], shared[1 - conditional]) > 1e-4, $"the other half must differ ({order})");
        }
    }

    [Fact]
    public void WindowWithResidualReproducesFullAttentionOnUnchangedInputs()
    {
        using var model = PixArtCheckpoint.Load(TestData.Golden("pixart-tiny"));
        var (x, t, c, m) = CfgBatch();
        using var noGrad = no_grad();
        using var raw = model.forward(x, t, c, m);
        using var runner = new FastAttentionRunner(Plan(AttentionMethod.Full, AttentionMethod.WindowResidual, AttentionMethod.Window), n => WindowSpec.ForTokens(n, WindowSemantics.TokenBand),
            true, CfgBatchOrder.UnconditionalFirst);
        runner.BeginStep(0);
        model.Forward(x, t, c, m, runner).Dispose();
        runner.BeginStep(1);
        using var wars = model.Forward(x, t, c, m, runner);                                  // window + (full − window) = full
        TensorAssert.RelativeClose(raw, wars, 1e-5, "WA-RS on unchanged inputs");
        runner.BeginStep(2);
        using var window = model.Forward(x, t, c, m, runner);                                // without the residual it is not (token band w = 2 of 16)
        Assert.True(TensorAssert.RelativeError(raw, window) > 1e-4);
        Assert.Equal(0, runner.Fallbacks);
    }
}
