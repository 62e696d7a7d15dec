using FastAttn.Engine.Models.TextEncoder;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Loads a T5-v1.1 encoder strictly from Hugging Face files: a folder (or a pipeline's <c>text_encoder/</c>) with
/// <c>config.json</c> and <c>model.safetensors</c> or its sharded <c>model.safetensors.index.json</c>, or a weights file
/// with <c>config.json</c> beside it. The tied copy <c>encoder.embed_tokens.weight</c> and a full T5's decoder
/// (<c>decoder.*</c>, <c>lm_head.*</c>) are skipped knowingly; any other difference is an error naming the keys.
/// </summary>
public static class T5Checkpoint
{
    /// <summary>Loads the encoder at <paramref name="path"/> with weights in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static T5Encoder Load(string path, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (file, configPath) = Resolve(path);
        var config = T5Config.Parse(File.ReadAllText(configPath), configPath);
        var dict = StateDictReader.Read(file);
        try
        {
            var weights = dict.Where(kv => kv.Key != "encoder.embed_tokens.weight" && !kv.Key.StartsWith("decoder.", StringComparison.Ordinal)
                && !kv.Key.StartsWith("lm_head.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
            ConfigJson.RequireFits(config.NumLayers * (4.0 * config.DModel * config.DKv * config.NumHeads + 3.0 * config.DModel * config.DFf)
                + (double)config.VocabSize * config.DModel, weights.Values, file);
            return StrictStateDictLoader.Build(() => new T5Encoder(config), weights, file, dtype, device);
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }

    private static (string File, string Config) Resolve(string path)
    {
        if (File.Exists(path))
        {
            var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
            return File.Exists(beside) ? (path, beside) : throw new CheckpointFormatException(path, "T5 weights need their config.json beside them.");
        }
        if (!Directory.Exists(path)) throw new CheckpointFormatException(path, "no such file or folder.");
        var folder = Directory.Exists(Path.Combine(path, "text_encoder")) ? Path.Combine(path, "text_encoder") : path;
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config)) throw new CheckpointFormatException(folder, "has no config.json.");
        foreach (var name in new[] { "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json" })
            if (File.Exists(Path.Combine(folder, name))) return (Path.Combine(folder, name), config);
        throw new CheckpointFormatException(folder, "holds no T5 weights (expected model.safetensors or model.safetensors.index.json).");
    }
}
