using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Pipelines;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.Vae;

/// <summary>
/// The decoding half of diffusers' AutoencoderKL (sd-vae-ft-ema/-mse, SDXL VAE): post_quant_conv then the decoder.
/// State-dict keys are diffusers' (<c>post_quant_conv.*</c>, <c>decoder.*</c>).
/// </summary>
public sealed class AutoencoderKLDecoder : Module<Tensor, Tensor>, ILatentDecoder
{
    private readonly Conv2d post_quant_conv;
    private readonly VaeDecoder decoder;

    /// <summary>The configuration.</summary>
    public VaeConfig Config { get; }

    /// <summary>Decode this many samples at a time (bounds peak memory at high resolution); 0 = all at once.</summary>
    public int DecodeBatchSize { get; set; } = 1;

    /// <summary>Creates a randomly initialised decoder (load weights with <see cref="FromPretrained"/>).</summary>
    public AutoencoderKLDecoder(VaeConfig config) : base(nameof(AutoencoderKLDecoder))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        post_quant_conv = Conv2d(config.LatentChannels, config.LatentChannels, 1);
        decoder = new VaeDecoder(config);
        RegisterComponents();
    }

    /// <summary>Decodes latents that are already divided by the scaling factor: (B, C, h, w) → (B, 3, H, W).</summary>
    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        return decoder.forward(post_quant_conv.forward(z)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decodes sampled latents: z / scaling_factor (+ shift_factor), then <see cref="forward"/>, in chunks of <see cref="DecodeBatchSize"/>.
    /// </summary>
    public Tensor Decode(Tensor latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weight = parameters().First();
        var z = latents.to(weight.dtype, weight.device).Over(Config.ScalingFactor);
        if (Config.ShiftFactor is double shift) z = z.Plus(shift);
        int chunk = DecodeBatchSize <= 0 ? (int)z.shape[0] : DecodeBatchSize;
        var parts = new List<Tensor>();
        for (long s = 0; s < z.shape[0]; s += chunk)
            parts.Add(forward(z.narrow(0, s, Math.Min(chunk, z.shape[0] - s))));
        var images = parts.Count == 1 ? parts[0] : cat(parts, 0);
        return images.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads a decoder from a diffusers VAE folder (config.json + diffusion_pytorch_model.safetensors), a pipeline folder
    /// with a vae/ subfolder, or a weights file (config.json beside it, else the SD VAE architecture). Encoder weights
    /// are skipped; the older attention names (query/key/value/proj_attn) are accepted. Strict otherwise.
    /// </summary>
    public static AutoencoderKLDecoder FromPretrained(string path, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (weights, configPath) = Resolve(path);
        var config = configPath is null ? VaeConfig.StableDiffusion : VaeConfig.FromJson(configPath);
        var dict = StateDictReader.Read(weights);
        try
        {
            var decoderDict = VaeKeyMap.ToDecoderKeys(dict);
            var model = new AutoencoderKLDecoder(config);
            try
            {
                StrictStateDictLoader.Load(model, decoderDict, weights);
                model.eval();
                if (device is not null || dtype != ScalarType.Float32) model.to(device ?? CPU, dtype);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }

    private static (string Weights, string? Config) Resolve(string path)
    {
        if (File.Exists(path))
        {
            var cfg = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
            return (path, File.Exists(cfg) ? cfg : null);
        }
        if (!Directory.Exists(path)) throw new FileNotFoundException($"No VAE file or folder at '{path}'.", path);
        foreach (var dir in new[] { path, Path.Combine(path, "vae") })
        {
            foreach (var name in new[] { "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors" })
            {
                var weights = Path.Combine(dir, name);
                var cfg = Path.Combine(dir, "config.json");
                if (File.Exists(weights)) return (weights, File.Exists(cfg) ? cfg : null);
            }
        }
        throw new CheckpointFormatException(path,
            "no VAE weights found (expected diffusion_pytorch_model.safetensors and config.json, directly or under vae/).");
    }
}
