using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.Vae;
using FastAttn.Engine.Tests.Support;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Models;

/// <summary>The AutoencoderKL decoder against diffusers' recorded output (golden/vae-tiny, ≤ 1e-4 relative).</summary>
public sealed class VaeDecoderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-vae-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("diffusion_pytorch_model.safetensors")]
    [InlineData("legacy-attention-names.safetensors")]
    public void DecodeMatchesDiffusersWithEitherAttentionNaming(string weights)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "vae")).FullName;
        File.Copy(TestData.Golden("vae-tiny", "config.json"), Path.Combine(folder, "config.json"));
        File.Copy(TestData.Golden("vae-tiny", weights), Path.Combine(folder, "diffusion_pytorch_model.safetensors"));
        using var vae = AutoencoderKLDecoder.FromPretrained(_dir);                       // pipeline folder with vae/
        var io = TestData.Load(TestData.Golden("vae-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var image = vae.forward(io["z"]);
        TensorAssert.RelativeClose(io["image"], image, 1e-4, $"decode ({weights})");
        // Decode() divides by the scaling factor first, in chunks; same result.
        using var scaled = io["z"] * vae.Config.ScalingFactor;
        using var decoded = vae.Decode(scaled);
        TensorAssert.RelativeClose(io["image"], decoded, 1e-4, "Decode with scaling");
    }

    [Fact]
    public void ConfigIsReadFromConfigJson()
    {
        var config = VaeConfig.FromJson(TestData.Golden("vae-tiny", "config.json"));
        Assert.Equal([32, 64, 64], config.BlockOutChannels);
        Assert.Equal(1, config.LayersPerBlock);
        Assert.Equal(4, config.LatentChannels);
        Assert.Equal(4, config.DownscaleFactor);
    }

    [Fact]
    public void EncoderWeightsAreSkippedAndWrongKeysReported()
    {
        var dict = TestData.Load(TestData.Golden("vae-tiny", "diffusion_pytorch_model.safetensors"));
        dict["encoder.conv_in.weight"] = zeros(32, 3, 3, 3);                             // real files carry the encoder
        dict["quant_conv.weight"] = zeros(8, 8, 1, 1);
        dict.Remove("decoder.conv_out.bias");
        dict["decoder.conv_out.bogus"] = zeros(3);
        var path = Path.Combine(_dir, "vae.safetensors");
        Safetensors.SaveStateDict(path, dict);
        File.Copy(TestData.Golden("vae-tiny", "config.json"), Path.Combine(_dir, "config.json"));
        var e = Assert.Throws<CheckpointMismatchException>(() => AutoencoderKLDecoder.FromPretrained(path));
        Assert.Equal(["decoder.conv_out.bias"], e.Missing);
        Assert.Equal(["decoder.conv_out.bogus"], e.Unexpected);
    }

    [Fact]
    public void MissingVaeFolderIsClear()
    {
        Assert.Throws<CheckpointFormatException>(() => AutoencoderKLDecoder.FromPretrained(_dir));
        Assert.Throws<FileNotFoundException>(() => AutoencoderKLDecoder.FromPretrained(Path.Combine(_dir, "none")));
    }
}
