using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Conditioning;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Models.Vae;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>A loaded class-conditional DiT: its pipeline (transformer + decoder) and its label names.</summary>
/// <param name="Pipeline">The sampling pipeline.</param>
/// <param name="Labels">The class names (ImageNet for 1000-class models, a classes.txt beside the weights, else the ids).</param>
/// <param name="TransformerPath">Where the transformer came from.</param>
/// <param name="VaePath">Where the VAE came from (null for pixel-space models).</param>
/// <param name="Defaults">The model's default sampling settings.</param>
/// <param name="ShippedPlans">A folder of plans shipped with the model, if any.</param>
public sealed record LoadedDiT(DiTPipeline Pipeline, ClassLabels Labels, string TransformerPath, string? VaePath,
    SamplingDefaults Defaults, string? ShippedPlans) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Pipeline.Transformer.Dispose();
        (Pipeline.Decoder as IDisposable)?.Dispose();
    }
}

/// <summary>
/// Loads a whole DiT model: a diffusers pipeline folder (model_index.json, transformer/, vae/), a folder or file with
/// the transformer plus a VAE folder (given, or a <c>vae/</c> folder beside it), or a pixel-space model (no VAE).
/// </summary>
public static class DiTModelFolder
{
    /// <summary>Loads the transformer at <paramref name="modelPath"/> and its VAE.</summary>
    public static LoadedDiT Load(string modelPath, string? vaePath = null, DiTLoadOptions? options = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        if (!File.Exists(modelPath) && !Directory.Exists(modelPath) && BuiltInModels.TryResolve(modelPath) is string builtIn) modelPath = builtIn;
        options ??= new DiTLoadOptions();
        var logger = loggers?.CreateLogger(typeof(DiTModelFolder).FullName!);
        var transformer = DiTCheckpoint.Load(modelPath, options);
        try
        {
            vaePath ??= FindVaeBeside(modelPath);
            AutoencoderKLDecoder? vae = null;
            if (vaePath is not null)
            {
                vae = AutoencoderKLDecoder.FromPretrained(vaePath, options.Device, options.DType);
                if (vae.Config.LatentChannels != transformer.Config.InChannels)
                {
                    vae.Dispose();
                    throw new InvalidOperationException(
                        $"The VAE at '{vaePath}' has {vae.Config.LatentChannels} latent channels, the transformer {transformer.Config.InChannels}.");
                }
            }
            else if (transformer.Config.InChannels is not (1 or 3))
            {
                throw new InvalidOperationException(
                    $"'{modelPath}' is a latent model ({transformer.Config.InChannels} channels) and no VAE was found: " +
                    "pass one (--vae PATH), or put a diffusers VAE folder named 'vae' beside the weights.");
            }
            logger?.LogInformation("Loaded DiT from {Model} ({Depth} blocks, width {Width}){Vae}", modelPath, transformer.Config.Depth,
                transformer.Config.HiddenSize, vaePath is null ? "" : $" with VAE {vaePath}");
            var labels = LabelsFor(modelPath, transformer.Config);
            var folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
            return new LoadedDiT(new DiTPipeline(transformer, vae, loggers?.CreateLogger<DiTPipeline>()), labels, modelPath, vaePath,
                SamplingDefaults.ReadFrom(folder), BuiltInModels.PlansOf(folder));
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
    }

    private static string? FindVaeBeside(string modelPath)
    {
        var dir = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var vae = Path.Combine(dir, "vae");
        return Directory.Exists(vae) ? vae : null;
    }

    private static ClassLabels LabelsFor(string modelPath, DiTConfig config)
    {
        var dir = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var file = Path.Combine(dir, "classes.txt");
        if (File.Exists(file))
        {
            var names = File.ReadAllLines(file).Where(l => l.Trim().Length > 0).ToArray();
            if (names.Length == config.NumClasses) return new ClassLabels(names);
        }
        if (config.NumClasses == ClassLabels.ImageNet.Count) return ClassLabels.ImageNet;
        return new ClassLabels(Enumerable.Range(0, config.NumClasses)
            .Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }
}
