using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Models.TextEncoder;
using FastAttn.Engine.Models.Vae;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Loads an Open-Sora v1.1 folder assembled from its three published parts: <c>transformer/</c> (hpcai-tech/OpenSora-STDiT-v2-stage3:
/// config.json + model.safetensors), <c>text_encoder/</c> and <c>tokenizer/</c> (DeepFloyd/t5-v1_1-xxl) and <c>vae/</c>
/// (stabilityai/sd-vae-ft-ema). A <c>model_index.json</c> is optional.
/// </summary>
public static class OpenSoraPipelineFolder
{
    /// <summary>Loads the pipeline at <paramref name="path"/>; the T5 weights are kept in <paramref name="encoderDType"/>.</summary>
    public static OpenSoraPipeline Load(string path, Device? device = null, ScalarType dtype = ScalarType.Float32,
        ScalarType encoderDType = ScalarType.Float32, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
        {
            throw new CheckpointFormatException(path,
                "no such folder (expected an Open-Sora folder with transformer, text_encoder, tokenizer, vae).");
        }
        string Part(string name) => Directory.Exists(Path.Combine(path, name)) ? Path.Combine(path, name)
            : throw new CheckpointFormatException(path,
                $"has no '{name}' folder (an Open-Sora folder has transformer, text_encoder, tokenizer, vae).");
        var tokenizer = T5Tokenizer.Load(Part("tokenizer"));
        var transformer = STDiT2Checkpoint.Load(Part("transformer"), dtype, device);
        T5Encoder? encoder = null;
        AutoencoderKLDecoder? vae = null;
        try
        {
            encoder = T5Checkpoint.Load(Part("text_encoder"), encoderDType, device);
            vae = AutoencoderKLDecoder.FromPretrained(Part("vae"), device, dtype);
            return new OpenSoraPipeline(transformer, encoder, tokenizer, vae, loggers?.CreateLogger<OpenSoraPipeline>(), ownsModels: true);
        }
        catch
        {
            transformer.Dispose();
            encoder?.Dispose();
            vae?.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="path"/> is an Open-Sora folder (its transformer is an STDiT2).</summary>
    public static bool IsOpenSoraFolder(string path) =>
        Directory.Exists(path) && Directory.Exists(Path.Combine(path, "transformer")) && STDiT2Checkpoint.IsSTDiT2(Path.Combine(path, "transformer"));
}
