using FastAttn.Engine.Attention;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Models;

/// <summary>
/// STDiT2 against Open-Sora v1.1's STDiT2 (stdit2-tiny golden: 2 layers, width 96, 2 heads, 4 frames of 8×8 latents,
/// caption of 6 tokens with sample 1 keeping 4; tolerance 1e-4 relative).
/// </summary>
public class STDiT2GoldenTests
{
    private const double Tolerance = 1e-4;

    private static STDiT2Transformer Load() => STDiT2Checkpoint.Load(TestData.Golden("stdit2-tiny", "weights.safetensors"));

    private static VideoConditions Conditions(IReadOnlyDictionary<string, Tensor> io) => new(
        io["height"][0].item<float>(), io["width"][0].item<float>(), io["num_frames"][0].item<float>(), io["fps"][0].item<float>());

    [Fact]
    public void LoadsStrictlyWithTheConfigFromTheMetadata()
    {
        using var model = Load();
        Assert.Equal(new STDiT2Config(96, 2, 2, 1, 2, 2, 4, true, 24, 6, true, 32), model.Config);
        Assert.Equal(new long[] { 6, 24 }, model.NullCaption.shape);
    }

    [Theory]
    [InlineData(true, "out")]
    [InlineData(false, "out_nomask")]
    public void ForwardMatchesTheReference(bool masked, string expected)
    {
        using var model = Load();
        var io = TestData.Load(TestData.Golden("stdit2-tiny", "io.safetensors"));
        Assert.Equal(1.0, io["ar"][0].item<float>(), 6);
        using var noGrad = no_grad();
        using var output = model.Forward(io["x"], io["t"], io["y"], masked ? io["mask"] : null, Conditions(io), FullAttentionRunner.Instance);
        TensorAssert.RelativeClose(io[expected], output, Tolerance, expected);
    }

    [Fact]
    public void PaddedCaptionTokensAreIgnoredAndOddSizesArePaddedAndCropped()
    {
        using var model = Load();
        var io = TestData.Load(TestData.Golden("stdit2-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        var conditions = Conditions(io);
        using var output = model.Forward(io["x"], io["t"], io["y"], io["mask"], conditions, FullAttentionRunner.Instance);
        using var changed = io["y"].clone();
        changed[1, 0, 4..] = randn(2, 24) * 5;                                               // sample 1's padded tokens
        using var again = model.Forward(io["x"], io["t"], changed, io["mask"], conditions, FullAttentionRunner.Instance);
        TensorAssert.RelativeClose(output, again, 1e-6, "padded caption tokens changed");

        using var odd = model.Forward(randn([1, 4, 3, 6, 7]), tensor(new float[] { 500 }), randn(1, 6, 24), null,
            new VideoConditions(48, 56, 3, 24), FullAttentionRunner.Instance);                   // 7 columns: padded to 8, cropped back
        Assert.Equal(new long[] { 1, 8, 3, 6, 7 }, odd.shape);
        Assert.False(odd.isnan().any().item<bool>());
    }

    [Fact]
    public void WrongShapesAreClearErrors()
    {
        using var model = Load();
        using var noGrad = no_grad();
        var conditions = new VideoConditions(64, 64, 4, 24);
        Assert.Throws<ArgumentException>(() => model.Forward(randn([1, 3, 4, 8, 8]), tensor(new float[] { 1 }), randn(1, 6, 24), null, conditions, FullAttentionRunner.Instance));
        Assert.Throws<ArgumentException>(() => model.Forward(randn([1, 4, 4, 8, 8]), tensor(new float[] { 1 }), randn(1, 6, 12), null, conditions, FullAttentionRunner.Instance));
        var folder = Directory.CreateTempSubdirectory("stdit2-wrong").FullName;                // a hub-style folder: config.json + model.safetensors
        var golden = TestData.Golden("stdit2-tiny", "weights.safetensors");
        File.WriteAllText(Path.Combine(folder, "config.json"), SafetensorsHeader.Read(golden).Metadata["config"]);
        var weights = TestData.Load(golden).Where(kv => kv.Key != "rope.freqs").ToDictionary(kv => kv.Key, kv => kv.Value);
        TorchSharp.PyBridge.Safetensors.SaveStateDict(Path.Combine(folder, "model.safetensors"), weights);
        var e = Assert.Throws<CheckpointMismatchException>(() => STDiT2Checkpoint.Load(folder));
        Assert.Contains("rope.freqs", e.Message, StringComparison.Ordinal);
        Directory.Delete(folder, true);
    }
}
