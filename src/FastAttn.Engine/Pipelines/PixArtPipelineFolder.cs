using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.TextEncoder;
using FastAttn.Engine.Models.Vae;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Loads a diffusers PixArt pipeline folder: <c>model_index.json</c>, <c>transformer/</c>, <c>text_encoder/</c>,
/// <c>tokenizer/spiece.model</c>, <c>vae/</c> and <c>scheduler/scheduler_config.json</c> (read, not assumed).
/// </summary>
public static class PixArtPipelineFolder
{
    /// <summary>Loads the pipeline at <paramref name="path"/>; the text encoder's weights are kept in <paramref name="encoderDType"/>.</summary>
    public static PixArtPipeline Load(string path, Device? device = null, ScalarType dtype = ScalarType.Float32,
        ScalarType encoderDType = ScalarType.Float32, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path)) throw new CheckpointFormatException(path, "no such folder (expected a diffusers PixArt pipeline folder).");
        CheckIndex(Path.Combine(path, "model_index.json"));
        string Part(string name) => Directory.Exists(Path.Combine(path, name)) ? Path.Combine(path, name)
            : throw new CheckpointFormatException(path,
                $"has no '{name}' folder (a PixArt pipeline has transformer, text_encoder, tokenizer, vae, scheduler).");
        var scheduler = DiffusersSchedulerConfig.Load(Path.Combine(Part("scheduler"), "scheduler_config.json"));
        var tokenizer = T5Tokenizer.Load(Part("tokenizer"));
        var transformer = PixArtCheckpoint.Load(Part("transformer"), new PixArtLoadOptions { Device = device, DType = dtype });
        T5Encoder? encoder = null;
        AutoencoderKLDecoder? vae = null;
        try
        {
            encoder = T5Checkpoint.Load(Part("text_encoder"), encoderDType, device);
            vae = AutoencoderKLDecoder.FromPretrained(Part("vae"), device, dtype);
            return new PixArtPipeline(transformer, encoder, tokenizer, vae, scheduler, loggers?.CreateLogger<PixArtPipeline>(), ownsModels: true);
        }
        catch
        {
            transformer.Dispose();
            encoder?.Dispose();
            vae?.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="path"/> is a diffusers PixArt pipeline folder (by its model_index.json or transformer config).</summary>
    public static bool IsPixArtFolder(string path)
    {
        if (!Directory.Exists(path)) return false;
        foreach (var file in new[] { Path.Combine(path, "model_index.json"), Path.Combine(path, "transformer", "config.json") })
        {
            if (!File.Exists(file)) continue;
            try
            {
                if (JsonNode.Parse(File.ReadAllText(file))?["_class_name"]?.GetValue<string>() is string name)
                    return name.StartsWith("PixArt", StringComparison.Ordinal);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
            {
                return false;
            }
        }
        return false;
    }

    internal static void CheckIndex(string path)
    {
        if (!File.Exists(path)) return;                                                       // the parts speak for themselves
        try
        {
            var name = ConfigJson.Parse(File.ReadAllText(path), path)["_class_name"]?.GetValue<string>();
            if (name is not null && !name.StartsWith("PixArt", StringComparison.Ordinal))
                throw new CheckpointFormatException(path, $"is a {name}, not a PixArt pipeline.");
        }
        catch (InvalidOperationException e)
        {
            throw new CheckpointFormatException(path, $"has a _class_name that is not a string ({e.Message}).", e);
        }
    }
}
