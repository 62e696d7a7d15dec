using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Models;

/// <summary>The DiT against outputs recorded from the reference models.py and from diffusers (tolerance 1e-4 relative).</summary>
public class DiTGoldenTests
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData("weights.safetensors")]
    [InlineData("weights.pt")]
    public void ReferenceForwardMatchesGolden(string file)
    {
        using var model = DiTCheckpoint.Load(TestData.Golden("dit-tiny", file), new DiTLoadOptions { NumHeads = 4 });
        var io = TestData.Load(TestData.Golden("dit-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var output = model.forward(io["x"], io["t"], io["y"]);
        TensorAssert.RelativeClose(io["out"], output, Tolerance, "forward");
    }

    [Fact]
    public void ReferenceForwardWithCfgMatchesGolden()
    {
        using var model = DiTCheckpoint.Load(TestData.Golden("dit-tiny", "weights.safetensors"));
        var io = TestData.Load(TestData.Golden("dit-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        var x = io["cfg.x"];
        long half = x.shape[0] / 2;
        using var doubled = cat([x[..(int)half], x[..(int)half]], 0);                       // reference duplicates the first half
        using var raw = model.forward(doubled, io["cfg.t"], io["cfg.y"]);
        using var guided = ClassifierFreeGuidance.Combine(raw, 4.0, 4, GuidedChannels.ReferenceFirstThree, CfgBatchOrder.ConditionalFirst);
        // Reference returns both halves: guided ε (first 3 channels) for both, raw for the rest.
        var expected = io["cfg.out"];
        TensorAssert.RelativeClose(expected[..(int)half], guided, Tolerance, "cfg conditional half");
        TensorAssert.RelativeClose(expected[(int)half.., ..3], guided[.., ..3], Tolerance, "cfg guided channels of the second half");
        TensorAssert.RelativeClose(expected[(int)half.., 3..], raw[(int)half.., 3..], Tolerance, "cfg unguided channels of the second half");
    }

    [Fact]
    public void AttentionModuleMatchesRecordedBlockInputsAndOutputs()
    {
        using var model = DiTCheckpoint.Load(TestData.Golden("dit-tiny", "weights.safetensors"));
        var io = TestData.Load(TestData.Golden("dit-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        foreach (int block in new[] { 0, 3 })
        {
            using var o = model.Blocks[block].Attention.forward(io[$"block{block}.attn.in"]);
            TensorAssert.RelativeClose(io[$"block{block}.attn.out"], o, Tolerance, $"block {block} attention");
        }
    }

    [Fact]
    public void DiffusersLayoutMatchesGolden()
    {
        using var model = DiTCheckpoint.Load(TestData.Golden("dit-diffusers-tiny"));
        Assert.Equal(DiTFlavor.Diffusers, model.Config.Flavor);
        Assert.True(model.Config.PerBlockConditioning);                                    // this file's embedder copies differ
        var io = TestData.Load(TestData.Golden("dit-diffusers-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var output = model.forward(io["x"], io["t"], io["y"]);
        TensorAssert.RelativeClose(io["out"], output, Tolerance, "diffusers forward");
    }

    [Fact]
    public void FrequencyEmbeddingFollowsEachConvention()
    {
        using var t = tensor(new long[] { 0, 500 });
        using var reference = TimestepEmbedder.FrequencyEmbedding(t, 256, 0);
        using var diffusers = TimestepEmbedder.FrequencyEmbedding(t, 256, 1);
        // k = 1 frequency: exp(-ln(1e4)/128) vs exp(-ln(1e4)/127); t = 500; cos part first.
        Assert.Equal(Math.Cos(500 * Math.Exp(-Math.Log(10000) / 128)), reference[1, 1].item<float>(), 4);
        Assert.Equal(Math.Cos(500 * Math.Exp(-Math.Log(10000) / 127)), diffusers[1, 1].item<float>(), 4);
        Assert.Equal(Math.Sin(500 * Math.Exp(-Math.Log(10000) / 128)), reference[1, 129].item<float>(), 4);
    }
}
