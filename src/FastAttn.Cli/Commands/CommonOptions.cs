using System.CommandLine;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using FastAttn.Engine.Sampling;

namespace FastAttn.Cli.Commands;

/// <summary>Options shared by the commands that load a model and sample with it.</summary>
internal sealed class CommonOptions
{
    public Option<string> Model { get; } = new("--model", "-m") { Description = "DiT weights (.pt, .safetensors, a diffusers model/pipeline folder, or a built-in model name), or a diffusers PixArt pipeline folder (text to image).", Required = true };
    public Option<string?> Vae { get; } = new("--vae") { Description = "diffusers VAE folder (default: a 'vae' folder beside the model)." };
    public Option<int?> Heads { get; } = new("--heads") { Description = "Attention heads, when they cannot be inferred from the checkpoint." };
    public Option<string> Device { get; } = new("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
    public Option<int?> Steps { get; } = new("--steps") { Description = "Denoising steps (default: the model's, else 50)." };
    public Option<string?> Scheduler { get; } = new("--scheduler") { Description = $"Sampler: {string.Join(", ", SchedulerRegistry.Names)} (default: the model's, else ddim)." };
    public Option<double?> Cfg { get; } = new("--cfg") { Description = "Classifier-free guidance scale, 1 = off (default: the model's, else 4)." };
    public Option<string> GuidanceChannels { get; } = new("--guidance-channels") { Description = "reference (first 3 latent channels, as the DiT repo) or all (as diffusers).", DefaultValueFactory = _ => "reference" };
    public Option<string?> Size { get; } = new("--size") { Description = "Image size in pixels: 512, or WIDTHxHEIGHT for text-to-image models (default: the model's trained size)." };

    /// <summary>The requested pixel size (width, height), or null for the model's own.</summary>
    public (int Width, int Height)? PixelSize(ParseResult parse)
    {
        if (parse.GetValue(Size) is not string text) return null;
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) && v > 0))
        {
            int w = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            return (w, parts.Length == 2 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : w);
        }
        throw new ArgumentException($"--size '{text}' is not a size: give pixels (512) or WIDTHxHEIGHT (1024x768).");
    }
    public Option<string> WindowSemantics { get; } = new("--window-semantics") { Description = "block (block band, default: faster) or token (the reference's token band).", DefaultValueFactory = _ => "block" };
    public Option<int?> Window { get; } = new("--window") { Description = "Window half-width w in tokens (default N/8)." };
    public Option<string?> PlanDir { get; } = new("--plan-dir") { Description = "Folder of cached plans (default $FASTATTN_PLAN_DIR or ~/.cache/fastattn/plans)." };

    public IEnumerable<Option> Sampling => [Model, Vae, Heads, Device, Steps, Scheduler, Cfg, GuidanceChannels, Size];

    public Option<int> Calibration { get; } = new("--calib") { Description = "Plan search calibration samples: random class labels (DiT, default 8) or shipped captions (text to image, default all 40).", DefaultValueFactory = _ => 8 };

    /// <summary>Text-to-image models: --calib when given, else null (all shipped captions).</summary>
    public int? CaptionCount(ParseResult parse) => parse.GetResult(Calibration) is { Implicit: false } ? parse.GetValue(Calibration) : null;
    public Option<long> CalibrationSeed { get; } = new("--calib-seed") { Description = "Plan search calibration seed.", DefaultValueFactory = _ => 3 };

    public Option<string?> Metric { get; } = new("--metric") { Description = "What plan search compares outputs on: raw (the reference's CFG-batch output) or guided (the guided output); default: the model's (raw unless its defaults.json says)." };

    public IEnumerable<Option> Planning => [WindowSemantics, Window, PlanDir, Calibration, CalibrationSeed, Metric];

    public Engine.Compression.SearchMetric MetricFor(ParseResult parse, LoadedDiT loaded) =>
        parse.GetValue(Metric) is string name ? SamplingDefaults.ParseMetric(name) : loaded.Defaults.SearchMetric;

    public LoadedDiT Load(ParseResult parse)
    {
        var dev = DeviceSelector.Resolve(DeviceSelector.Parse(parse.GetValue(Device)!));
        return DiTModelFolder.Load(parse.GetValue(Model)!, parse.GetValue(Vae),
            new DiTLoadOptions { NumHeads = parse.GetValue(Heads), Device = dev, DType = DeviceSelector.DefaultDType(dev) });
    }

    public int StepsFor(ParseResult parse, LoadedDiT loaded) => parse.GetValue(Steps) ?? loaded.Defaults.Steps;

    public IDiffusionSchedulerFactory SchedulerFor(ParseResult parse, LoadedDiT loaded) => loaded.Defaults.CreateScheduler(parse.GetValue(Scheduler));

    public double CfgFor(ParseResult parse, LoadedDiT loaded) => parse.GetValue(Cfg) ?? loaded.Defaults.GuidanceScale;

    public GuidedChannels Guidance(ParseResult parse) => parse.GetValue(GuidanceChannels)!.Trim().ToLowerInvariant() switch
    {
        "reference" or "ref" => GuidedChannels.ReferenceFirstThree,
        "all" => GuidedChannels.AllLatent,
        var other => throw new NotSupportedException($"Unknown guidance channels '{other}'. Allowed: reference, all."),
    };

    /// <summary>Latent side for the requested pixel size (null: the model's trained size).</summary>
    public int LatentSize(ParseResult parse, LoadedDiT loaded)
    {
        int factor = loaded.Pipeline.Decoder is FastAttn.Engine.Models.Vae.AutoencoderKLDecoder vae ? vae.Config.DownscaleFactor : 1;
        if (PixelSize(parse) is not var (px, height)) return loaded.Pipeline.Transformer.Config.InputSize;
        if (px != height) throw new ArgumentException($"DiT models generate square images; --size {px}x{height} is not square.");
        if (px <= 0 || px % factor != 0) throw new ArgumentException($"Size {px} must be a positive multiple of the VAE factor {factor}.");
        return px / factor;
    }

    public WindowSpec WindowFor(ParseResult parse, LoadedDiT loaded, int latentSize)
    {
        var config = loaded.Pipeline.Transformer.Config;
        return WindowFor(parse, (latentSize / config.PatchSize) * (latentSize / config.PatchSize));
    }

    /// <summary>The window for <paramref name="tokens"/> tokens from --window-semantics and --window.</summary>
    public WindowSpec WindowFor(ParseResult parse, int tokens)
    {
        var semantics = parse.GetValue(WindowSemantics)!.Trim().ToLowerInvariant() switch
        {
            "block" => Engine.Attention.WindowSemantics.BlockBand,
            "token" => Engine.Attention.WindowSemantics.TokenBand,
            var other => throw new NotSupportedException($"Unknown window semantics '{other}'. Allowed: block, token."),
        };
        return WindowSpec.ForTokens(tokens, semantics, parse.GetValue(Window));
    }

    /// <summary>Plan folders to look in: --plan-dir / $FASTATTN_PLAN_DIR / the user cache, then the model's shipped plans.</summary>
    public IEnumerable<string> PlanSearchPath(ParseResult parse, LoadedDiT loaded) =>
        loaded.ShippedPlans is string shipped ? [PlanDirectory(parse), shipped] : [PlanDirectory(parse)];

    public string PlanDirectory(ParseResult parse) =>
        parse.GetValue(PlanDir) ?? Engine.Compression.PlanLookup.DefaultDirectory;

    /// <summary>A weight dtype from its name: bf16 or fp32 (<paramref name="option"/> names the flag in errors).</summary>
    public static TorchSharp.torch.ScalarType WeightDType(string name, string option) => name.Trim().ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
        "fp32" or "float32" => TorchSharp.torch.ScalarType.Float32,
        var other => throw new NotSupportedException($"Unknown {option} '{other}'. Allowed: bf16, fp32."),
    };
}
