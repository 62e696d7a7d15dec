using System.Text.Json;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Tests.Support;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Checkpoints;

public sealed class DiTCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, Tensor> TinyWeights() => TestData.Load(TestData.Golden("dit-tiny", "weights.safetensors"));

    private string Save(Dictionary<string, Tensor> dict, string name = "w.safetensors")
    {
        var path = Path.Combine(_dir, name);
        Safetensors.SaveStateDict(path, dict);
        return path;
    }

    [Theory]
    [InlineData(256, "dit-xl-2-256.keys.json")]
    [InlineData(512, "dit-xl-2-512.keys.json")]
    public void XlModelHasExactlyTheReleasedKeysAndShapes(int imageSize, string keysFile)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Golden(keysFile)));
        var root = json.RootElement.TryGetProperty("keys", out var k) ? k : json.RootElement;
        var expected = new Dictionary<string, long[]>();
        if (root.ValueKind == JsonValueKind.Object)
            foreach (var p in root.EnumerateObject()) expected[p.Name] = p.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray();
        else
            foreach (var e in root.EnumerateArray()) expected[e.GetProperty("key").GetString()!] = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        Assert.NotEmpty(expected);
        using var model = new DiTModel(DiTConfigs.Get("DiT-XL/2", imageSize));
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        StrictStateDictLoader.Check(expected, actual, keysFile); // throws with the full difference list
        Assert.Equal(expected.Count, actual.Count);
    }

    [Fact]
    public void ConfigIsReadFromSafetensorsMetadata()
    {
        var info = DiTCheckpoint.Inspect(TestData.Golden("dit-tiny", "weights.safetensors"));
        Assert.Equal(new DiTConfig(16, 2, 4, 96, 4, 4, 10, true), info.Config);
        Assert.Equal("safetensors metadata", info.ConfigSource);
        Assert.Null(info.KeyCheckError);
        Assert.Equal(DiTCheckpointFormat.ReferenceSafetensors, info.Format);
        Assert.Equal(["Float32"], info.StoredDTypes);
    }

    [Fact]
    public void ConfigIsInferredFromShapesGivenTheHeads()
    {
        var info = DiTCheckpoint.Inspect(TestData.Golden("dit-tiny", "weights.pt"), new DiTLoadOptions { NumHeads = 4 });
        Assert.Equal(new DiTConfig(16, 2, 4, 96, 4, 4, 10, true), info.Config);
        Assert.Equal(DiTCheckpointFormat.ReferencePt, info.Format);
        Assert.Equal("inferred from tensor shapes", info.ConfigSource);
    }

    [Fact]
    public void InferenceWithoutHeadsForANonReferenceWidthAsksForThem()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => DiTCheckpoint.Load(TestData.Golden("dit-tiny", "weights.pt")));
        Assert.Contains("heads", e.Message);
        Assert.Contains("96", e.Message);
    }

    [Fact]
    public void InferenceUsesTheReferenceHeadsForAReferenceWidth()
    {
        var shapes = new Dictionary<string, long[]>
        {
            ["x_embedder.proj.weight"] = [1152, 4, 2, 2],
            ["pos_embed"] = [1, 1024, 1152],
            ["y_embedder.embedding_table.weight"] = [1001, 1152],
            ["final_layer.linear.weight"] = [32, 1152],
            ["blocks.27.attn.qkv.weight"] = [3456, 1152],
        };
        Assert.Equal(DiTConfigs.Get("DiT-XL/2", 512), DiTConfigInference.Infer(shapes, "test"));
    }

    [Fact]
    public void ASiblingConfigJsonIsUsed()
    {
        using var noGrad = no_grad();
        var path = Save(TinyWeights(), "model.safetensors");
        File.Copy(TestData.Golden("dit-tiny", "weights.pt"), Path.Combine(_dir, "model.pt"));
        File.WriteAllText(Path.Combine(_dir, "config.json"), DiTConfigJson.ToReferenceJson(new DiTConfig(16, 2, 4, 96, 4, 4, 10, true)));
        var info = DiTCheckpoint.Inspect(Path.Combine(_dir, "model.pt"));
        Assert.Equal(4, info.Config.NumHeads);
        Assert.EndsWith("config.json", info.ConfigSource);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void WrongKeysAreAllListedInOneError()
    {
        var dict = TinyWeights();
        dict["blocks.0.attn.qkv_renamed.weight"] = dict["blocks.0.attn.qkv.weight"];
        dict.Remove("blocks.0.attn.qkv.weight");
        dict["final_layer.linear.bias"] = zeros(31);
        var path = Save(dict);
        var e = Assert.Throws<CheckpointMismatchException>(() => DiTCheckpoint.Load(path, new DiTLoadOptions { Config = new DiTConfig(16, 2, 4, 96, 4, 4, 10) }));
        Assert.Equal(["blocks.0.attn.qkv.weight"], e.Missing);
        Assert.Equal(["blocks.0.attn.qkv_renamed.weight"], e.Unexpected);
        Assert.Single(e.Mismatched);
        Assert.Contains("final_layer.linear.bias: checkpoint [31] vs model [32]", e.Message);
    }

    [Fact]
    public void AModifiedPositionTableIsRejected()
    {
        var dict = TinyWeights();
        dict["pos_embed"] = dict["pos_embed"] + 0.5;
        var e = Assert.Throws<CheckpointMismatchException>(() => DiTCheckpoint.Load(Save(dict), new DiTLoadOptions { NumHeads = 4 }));
        Assert.Contains("sin-cos", e.Message);
    }

    [Fact]
    public void TheWrongArchitectureForTheFileIsAMismatch()
    {
        var e = Assert.Throws<CheckpointMismatchException>(() =>
            DiTCheckpoint.Load(TestData.Golden("dit-tiny", "weights.safetensors"), new DiTLoadOptions { Config = new DiTConfig(16, 2, 4, 96, 3, 4, 10) }));
        Assert.Contains("blocks.3.attn.qkv.weight", e.Unexpected);
    }

    [Fact]
    public void LenientLoadingAcceptsMissingKeys()
    {
        var dict = TinyWeights();
        dict.Remove("final_layer.linear.bias");
        using var model = DiTCheckpoint.Load(Save(dict), new DiTLoadOptions { Config = new DiTConfig(16, 2, 4, 96, 4, 4, 10), Strict = false });
        Assert.Equal(4, model.Config.Depth);
    }

    [Fact]
    public void CorruptFilesGiveAFormatError()
    {
        var garbage = Path.Combine(_dir, "garbage.pt");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray());
        Assert.Throws<CheckpointFormatException>(() => DiTCheckpoint.Load(garbage));

        var truncated = Path.Combine(_dir, "truncated.safetensors");
        var bytes = File.ReadAllBytes(TestData.Golden("dit-tiny", "weights.safetensors"));
        File.WriteAllBytes(truncated, bytes[..2000]);
        Assert.Throws<CheckpointFormatException>(() => DiTCheckpoint.Load(truncated));

        var truncatedZip = Path.Combine(_dir, "truncated.pt");
        File.WriteAllBytes(truncatedZip, File.ReadAllBytes(TestData.Golden("dit-tiny", "weights.pt"))[..5000]);
        Assert.Throws<CheckpointFormatException>(() => DiTCheckpoint.Load(truncatedZip, new DiTLoadOptions { NumHeads = 4 }));
    }

    [Fact]
    public void MissingPathsAndEmptyFoldersAreClear()
    {
        Assert.Throws<FileNotFoundException>(() => DiTCheckpoint.Load(Path.Combine(_dir, "nope.pt")));
        var e = Assert.Throws<CheckpointFormatException>(() => DiTCheckpoint.Load(_dir));
        Assert.Contains("no DiT weights", e.Message);
    }

    [Fact]
    public void HalfPrecisionCheckpointsAreUpcastOnLoad()
    {
        var half = TinyWeights().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float16));
        var path = Save(half);
        var info = DiTCheckpoint.Inspect(path, new DiTLoadOptions { NumHeads = 4 });
        Assert.Equal(["Float16"], info.StoredDTypes);
        using var model = DiTCheckpoint.Load(path, new DiTLoadOptions { NumHeads = 4 });
        Assert.Equal(ScalarType.Float32, model.DType);
        var io = TestData.Load(TestData.Golden("dit-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var output = model.forward(io["x"], io["t"], io["y"]);
        Assert.True(TensorAssert.RelativeError(io["out"], output) < 2e-2);
    }

    [Fact]
    public void OtherInputSizesRecomputeThePositionTable()
    {
        using var model = DiTCheckpoint.Load(TestData.Golden("dit-tiny", "weights.safetensors"), new DiTLoadOptions { InputSize = 24 });
        Assert.Equal(24, model.Config.InputSize);
        using var noGrad = no_grad();
        using var x = randn(1, 4, 24, 24);
        using var output = model.forward(x, tensor(new long[] { 10 }), tensor(new long[] { 1 }));
        Assert.Equal(new long[] { 1, 8, 24, 24 }, output.shape);
        using var rect = randn(1, 4, 16, 32);
        using var outRect = model.forward(rect, tensor(new long[] { 10 }), tensor(new long[] { 1 }));
        Assert.Equal(new long[] { 1, 8, 16, 32 }, outRect.shape);
    }

    [Fact]
    public void DiffusersFolderWithIdenticalEmbedderCopiesFoldsThemIntoOne()
    {
        // Build a diffusers-layout file from the reference tiny weights (as diffusers' conversion script does).
        var src = TinyWeights();
        var dict = new Dictionary<string, Tensor>
        {
            ["pos_embed.proj.weight"] = src["x_embedder.proj.weight"],
            ["pos_embed.proj.bias"] = src["x_embedder.proj.bias"],
            ["proj_out_1.weight"] = src["final_layer.adaLN_modulation.1.weight"],
            ["proj_out_1.bias"] = src["final_layer.adaLN_modulation.1.bias"],
            ["proj_out_2.weight"] = src["final_layer.linear.weight"],
            ["proj_out_2.bias"] = src["final_layer.linear.bias"],
        };
        for (int i = 0; i < 4; i++)
        {
            string b = $"transformer_blocks.{i}.", r = $"blocks.{i}.";
            dict[b + "norm1.emb.timestep_embedder.linear_1.weight"] = src["t_embedder.mlp.0.weight"];
            dict[b + "norm1.emb.timestep_embedder.linear_1.bias"] = src["t_embedder.mlp.0.bias"];
            dict[b + "norm1.emb.timestep_embedder.linear_2.weight"] = src["t_embedder.mlp.2.weight"];
            dict[b + "norm1.emb.timestep_embedder.linear_2.bias"] = src["t_embedder.mlp.2.bias"];
            dict[b + "norm1.emb.class_embedder.embedding_table.weight"] = src["y_embedder.embedding_table.weight"];
            dict[b + "norm1.linear.weight"] = src[r + "adaLN_modulation.1.weight"];
            dict[b + "norm1.linear.bias"] = src[r + "adaLN_modulation.1.bias"];
            var qw = src[r + "attn.qkv.weight"].chunk(3, 0);
            var qb = src[r + "attn.qkv.bias"].chunk(3, 0);
            foreach (var (name, j) in new[] { ("to_q", 0), ("to_k", 1), ("to_v", 2) })
            {
                dict[b + $"attn1.{name}.weight"] = qw[j].contiguous();
                dict[b + $"attn1.{name}.bias"] = qb[j].contiguous();
            }
            dict[b + "attn1.to_out.0.weight"] = src[r + "attn.proj.weight"];
            dict[b + "attn1.to_out.0.bias"] = src[r + "attn.proj.bias"];
            dict[b + "ff.net.0.proj.weight"] = src[r + "mlp.fc1.weight"];
            dict[b + "ff.net.0.proj.bias"] = src[r + "mlp.fc1.bias"];
            dict[b + "ff.net.2.weight"] = src[r + "mlp.fc2.weight"];
            dict[b + "ff.net.2.bias"] = src[r + "mlp.fc2.bias"];
        }
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "pipeline", "transformer")).FullName;
        Safetensors.SaveStateDict(Path.Combine(folder, "diffusion_pytorch_model.safetensors"), dict);
        File.Copy(TestData.Golden("dit-diffusers-tiny", "transformer", "config.json"), Path.Combine(folder, "config.json"));
        using var model = DiTCheckpoint.Load(Path.Combine(_dir, "pipeline"));
        Assert.False(model.Config.PerBlockConditioning);
        Assert.Equal(DiTFlavor.Diffusers, model.Config.Flavor);
        Assert.Contains("t_embedder.mlp.0.weight", model.state_dict().Keys);
        // Same weights as the reference file read with diffusers' numerics (frequency shift, MLP eps): same outputs.
        using var reference = DiTCheckpoint.Load(TestData.Golden("dit-tiny", "weights.safetensors"),
            new DiTLoadOptions { Config = new DiTConfig(16, 2, 4, 96, 4, 4, 10) { Flavor = DiTFlavor.Diffusers } });
        var io = TestData.Load(TestData.Golden("dit-tiny", "io.safetensors"));
        using var noGrad = no_grad();
        using var output = model.forward(io["x"], io["t"], io["y"]);
        using var expected = reference.forward(io["x"], io["t"], io["y"]);
        TensorAssert.RelativeClose(expected, output, 1e-6, "converted diffusers layout");
    }
}
