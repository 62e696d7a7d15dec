using FastAttn.Engine.Models.OpenSora;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Loads an Open-Sora STDiT2 strictly with the reference's keys: a Hugging Face folder (hpcai-tech/OpenSora-STDiT-v2-stage3:
/// <c>config.json</c> + <c>model.safetensors</c>), a <c>.safetensors</c> file whose metadata holds the config (key
/// <c>config</c>), or a <c>.safetensors</c>/<c>.pt</c> file with <c>config.json</c> beside it; without any config the
/// released STDiT2-XL/2 shape is assumed and checked against the weights. Missing, unexpected or mis-shaped keys are an
/// error naming them.
/// </summary>
public static class STDiT2Checkpoint
{
    /// <summary>Loads the model at <paramref name="path"/> with weights in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static STDiT2Transformer Load(string path, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (file, config) = Resolve(path);
        var dict = StateDictReader.Read(file);
        try
        {
            ConfigJson.RequireFits(8.0 * config.Depth * config.HiddenSize * (double)config.HiddenSize, dict.Values, file);
            return StrictStateDictLoader.Build(() => new STDiT2Transformer(config), dict, file, dtype, device);
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }

    /// <summary>Whether <paramref name="path"/> looks like an STDiT2 checkpoint (its config or keys say so).</summary>
    public static bool IsSTDiT2(string path)
    {
        try
        {
            var (file, _) = Resolve(path);
            if (!file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                return Directory.Exists(path) && File.Exists(Path.Combine(path, "config.json"))
                    && File.ReadAllText(Path.Combine(path, "config.json")).Contains("STDiT2", StringComparison.OrdinalIgnoreCase);
            return SafetensorsHeader.Read(file).Tensors.ContainsKey("blocks.0.attn_temp.qkv.weight");
        }
        catch (Exception e) when (e is CheckpointFormatException or IOException)
        {
            return false;
        }
    }

    private static (string File, STDiT2Config Config) Resolve(string path)
    {
        string file;
        string? configPath = null;
        if (Directory.Exists(path))
        {
            configPath = Path.Combine(path, "config.json");
            file = new[] { "model.safetensors", "diffusion_pytorch_model.safetensors", "model.pt", "pytorch_model.bin" }
                .Select(n => Path.Combine(path, n)).FirstOrDefault(File.Exists)
                ?? throw new CheckpointFormatException(path, "holds no STDiT2 weights (expected model.safetensors).");
            if (!File.Exists(configPath)) configPath = null;
        }
        else if (File.Exists(path))
        {
            file = path;
            var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
            if (File.Exists(beside)) configPath = beside;
        }
        else throw new CheckpointFormatException(path, "no such file or folder.");

        if (file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            && SafetensorsHeader.Read(file).Metadata.TryGetValue("config", out var embedded))
            return (file, STDiT2Config.Parse(embedded, file));
        if (configPath is not null) return (file, STDiT2Config.Parse(File.ReadAllText(configPath), configPath));
        return (file, STDiT2Config.XL2);
    }
}
