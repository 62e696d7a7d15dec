using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Models.PixArt;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>Settings for loading a PixArt checkpoint whose file does not say them (the original repository's layout).</summary>
public sealed record PixArtLoadOptions
{
    /// <summary>The config; null reads the diffusers config.json, or infers it from the tensor shapes (original layout).</summary>
    public PixArtConfig? Config { get; init; }

    /// <summary>
    /// Image size the original-layout model was trained at: latent side = size / 8, interpolation scale = max(1, latent / 64)
    /// (PixArt-Sigma 512/1024/2048 → 1/2/4).
    /// </summary>
    public int ImageSize { get; init; } = 1024;

    /// <summary>Attention heads of an original-layout model (default: 16 at width 1152, as PixArt-XL).</summary>
    public int? NumHeads { get; init; }

    /// <summary>Where to put the model.</summary>
    public Device? Device { get; init; }

    /// <summary>Weight dtype (fp32 on the CPU; fp16/bf16 on GPUs).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;
}

/// <summary>
/// Loads a PixArt transformer strictly: a diffusers folder (<c>config.json</c> + <c>diffusion_pytorch_model.safetensors</c>
/// or its sharded index; or a pipeline folder with <c>transformer/</c>), or an original-repository file
/// (<c>{"state_dict": …}</c>, .pth or .safetensors) through <see cref="PixArtKeyMap"/>.
/// </summary>
public static class PixArtCheckpoint
{
    private const string WeightsName = "diffusion_pytorch_model.safetensors";

    /// <summary>Loads the transformer at <paramref name="path"/>.</summary>
    public static PixArtTransformer Load(string path, PixArtLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new PixArtLoadOptions();
        var (file, configPath) = Resolve(path);
        var dict = StateDictReader.Read(file);
        try
        {
            PixArtConfig config;
            if (PixArtKeyMap.IsOriginalLayout(dict.Keys))
            {
                var mapped = PixArtKeyMap.FromOriginal(dict, file);
                try
                {
                    config = options.Config ?? InferConfig(mapped, options, file);
                    return Build(config, mapped, file, options);
                }
                finally
                {
                    foreach (var t in mapped.Values) t.Dispose();                            // split views; the rest are dict's own
                }
            }
            config = options.Config ?? (configPath is not null
                ? PixArtConfig.ParseDiffusers(File.ReadAllText(configPath), configPath)
                : throw new CheckpointFormatException(file, "diffusers-named PixArt weights need their config.json beside them."));
            return Build(config, dict, file, options);
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }

    private static PixArtTransformer Build(PixArtConfig config, IReadOnlyDictionary<string, Tensor> weights, string source,
        PixArtLoadOptions options)
    {
        ConfigJson.RequireFits(12.0 * config.NumLayers * config.HiddenSize * (double)config.HiddenSize, weights.Values, source);
        return StrictStateDictLoader.Build(() => new PixArtTransformer(config), weights, source, options.DType, options.Device);
    }

    /// <summary>The original layout stores no config: read it off the shapes.</summary>
    private static PixArtConfig InferConfig(IReadOnlyDictionary<string, Tensor> mapped, PixArtLoadOptions options, string source)
    {
        Tensor Get(string key) => mapped.TryGetValue(key, out var t) ? t : throw new CheckpointFormatException(source, $"lacks '{key}'.");
        var patch = Get("pos_embed.proj.weight");                                            // (D, C, p, p)
        int hidden = (int)patch.shape[0], inChannels = (int)patch.shape[1], p = (int)patch.shape[2];
        int layers = mapped.Keys.Where(k => k.StartsWith("transformer_blocks.", StringComparison.Ordinal))
            .Select(k => int.Parse(k.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        int heads = options.NumHeads ?? DiTConfigs.HeadsForHiddenSize(hidden)
            ?? throw new CheckpointFormatException(source, $"width {hidden} does not fix the number of heads: pass PixArtLoadOptions.NumHeads.");
        int outChannels = (int)Get("proj_out.weight").shape[0] / (p * p);
        int caption = (int)Get("caption_projection.linear_1.weight").shape[1];
        if (options.ImageSize <= 0 || options.ImageSize % (8 * p) != 0)
            throw new ArgumentException(
                $"Image size {options.ImageSize} must be a positive multiple of {8 * p} (VAE factor 8 × patch {p}).", nameof(options));
        int sample = options.ImageSize / 8;
        // diffusers' rule
        return new PixArtConfig(layers, heads, hidden / heads, inChannels, outChannels, p, sample, caption, hidden, Math.Max(1, sample / 64));
    }

    private static (string File, string? Config) Resolve(string path)
    {
        if (File.Exists(path))
        {
            var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
            return (path, File.Exists(beside) ? beside : null);
        }
        if (!Directory.Exists(path)) throw new CheckpointFormatException(path, "no such file or folder.");
        var folder = Directory.Exists(Path.Combine(path, "transformer")) ? Path.Combine(path, "transformer") : path;
        var config = Path.Combine(folder, "config.json");
        var weights = Path.Combine(folder, WeightsName);
        if (File.Exists(weights)) return (weights, File.Exists(config) ? config : null);
        if (File.Exists(weights + ".index.json")) return (weights + ".index.json", File.Exists(config) ? config : null);
        throw new CheckpointFormatException(path,
            $"the folder holds no PixArt weights (expected {WeightsName} or its .index.json, with config.json).");
    }
}
