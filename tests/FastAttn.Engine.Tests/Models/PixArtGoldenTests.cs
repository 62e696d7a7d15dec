using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Models.PixArt;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Models;

/// <summary>The PixArt transformer against diffusers' PixArtTransformer2DModel (pixart-tiny golden; tolerance 1e-4 relative).</summary>
public class PixArtGoldenTests
{
    private const double Tolerance = 1e-4;

    private static string Folder => TestData.Golden("pixart-tiny");

    [Fact]
    public void DiffusersFolderLoadsStrictlyAndForwardMatchesGolden()
    {
        using var model = PixArtCheckpoint.Load(Folder);
        Assert.Equal(new PixArtConfig(2, 2, 16, 4, 8, 2, 8, 24, 32, 2), model.Config);
        var io = TestData.Load(TestData.Golden("pixart-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var output = model.forward(io["x"], io["t"], io["encoder_hidden_states"], io["encoder_attention_mask"]);
        TensorAssert.RelativeClose(io["out"], output, Tolerance, "forward");
    }

    [Fact]
    public void PositionTableForAnotherAspectRatioMatchesGolden()
    {
        var io = TestData.Load(TestData.Golden("pixart-tiny", "io.safetensors"));
        using var table = PositionEmbedding2D.Create(32, rows: 4, cols: 6, baseSize: 4, interpolationScale: 2);
        TensorAssert.RelativeClose(io["pos_embed_4x6"], table, Tolerance, "pos_embed 4x6");
    }

    [Fact]
    public void PaddedCaptionTokensAreIgnoredAndAnyAspectRatioRuns()
    {
        using var model = PixArtCheckpoint.Load(Folder);
        var io = TestData.Load(TestData.Golden("pixart-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var output = model.forward(io["x"], io["t"], io["encoder_hidden_states"], io["encoder_attention_mask"]);
        using var changed = io["encoder_hidden_states"].clone();
        changed[1, 4..] = randn(2, 24) * 5;                                                 // sample 1's two padding tokens
        using var again = model.forward(io["x"], io["t"], changed, io["encoder_attention_mask"]);
        TensorAssert.RelativeClose(output, again, 1e-6, "masked tokens changed");
        using var unmasked = model.forward(io["x"], io["t"], changed, null);
        Assert.True(TensorAssert.RelativeError(output[1], unmasked[1]) > 1e-3, "without the mask the padding must matter");

        using var wide = model.forward(randn(1, 4, 8, 12), tensor(new long[] { 300 }), randn(1, 6, 24), null);
        Assert.Equal(new long[] { 1, 8, 8, 12 }, wide.shape);
        Assert.False(wide.isnan().any().item<bool>());
    }

    [Fact]
    public void OriginalRepositoryLayoutRoundTripsThroughTheKeyMap()
    {
        var diffusers = TestData.Load(TestData.Golden("pixart-tiny", "diffusion_pytorch_model.safetensors"));
        var original = PixArtKeyMap.ToOriginal(diffusers);
        Assert.Contains("blocks.0.attn.qkv.weight", original.Keys);
        Assert.Equal(new long[] { 96, 32 }, original["blocks.0.attn.qkv.weight"].shape);
        Assert.Equal(new long[] { 64, 32 }, original["blocks.1.cross_attn.kv_linear.weight"].shape);
        Assert.Contains("t_block.1.weight", original.Keys);
        original["pos_embed"] = zeros(1, 16, 32);                                           // the original's fixed buffer: dropped on load
        var back = PixArtKeyMap.FromOriginal(original, "test");
        Assert.Equal(diffusers.Keys.Order(StringComparer.Ordinal), back.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in diffusers) Assert.True(value.equal(back[key]).all().item<bool>(), key);

        var dir = Directory.CreateTempSubdirectory("pixart-original").FullName;
        try
        {
            var file = Path.Combine(dir, "PixArt-Sigma-tiny.safetensors");
            TorchSharp.PyBridge.Safetensors.SaveStateDict(file, original);
            var config = new PixArtConfig(2, 2, 16, 4, 8, 2, 8, 24, 32, 2);
            using var model = PixArtCheckpoint.Load(file, new PixArtLoadOptions { Config = config });
            var io = TestData.Load(TestData.Golden("pixart-tiny", "io.safetensors"));
            using var noGrad = no_grad();
            using var output = model.forward(io["x"], io["t"], io["encoder_hidden_states"], io["encoder_attention_mask"]);
            TensorAssert.RelativeClose(io["out"], output, Tolerance, "forward from the original layout");

            using var inferred = PixArtCheckpoint.Load(file, new PixArtLoadOptions { NumHeads = 2, ImageSize = 64 });
            Assert.Equal(config with { InterpolationScale = 1 }, inferred.Config);                // shapes give all but the training size
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void WrongCheckpointsAreNamedClearly()
    {
        var weights = TestData.Load(TestData.Golden("pixart-tiny", "diffusion_pytorch_model.safetensors"));
        weights.Remove("transformer_blocks.1.attn2.to_k.weight");
        using var model = new PixArtTransformer(new PixArtConfig(2, 2, 16, 4, 8, 2, 8, 24, 32, 2));
        var e = Assert.Throws<CheckpointMismatchException>(() => StrictStateDictLoader.Load(model, weights, "broken"));
        Assert.Contains("transformer_blocks.1.attn2.to_k.weight", e.Missing);

        var f = Assert.Throws<CheckpointFormatException>(() => PixArtConfig.ParseDiffusers("""{ "_class_name": "DiTTransformer2DModel" }""", "cfg.json"));
        Assert.Contains("not a PixArtTransformer2DModel", f.Message, StringComparison.Ordinal);
        Assert.Throws<CheckpointFormatException>(() => PixArtCheckpoint.Load(Path.Combine(Folder, "missing")));
        using var bad = new PixArtTransformer(new PixArtConfig(1, 2, 16, 4, 8, 2, 8, 24, 32, 2));
        var a = Assert.Throws<ArgumentException>(() => bad.forward(zeros(1, 4, 8, 8), zeros(1, ScalarType.Int64), zeros(1, 3, 7), null));
        Assert.Contains("24", a.Message, StringComparison.Ordinal);
    }
}
