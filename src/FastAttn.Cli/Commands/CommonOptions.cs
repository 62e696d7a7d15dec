using System.CommandLine;
using System.Globalization;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Sampling;

namespace FastAttn.Cli.Commands;

/// <summary>Options shared by the commands that load a model (of any family) and sample with it, and their plan-search settings.</summary>
internal sealed class CommonOptions
{
    private readonly bool _video;

    /// <summary>The options; <paramref name="video"/>: --size is HEIGHTxWIDTH (clips).</summary>
    public CommonOptions(bool video = false)
    {
        _video = video;
        Size = new("--size")
        {
            Description = video
                ? "Clip size in pixels, HEIGHTxWIDTH (240x426; default: the model's)."
                : "Size in pixels: 512, or WIDTHxHEIGHT (1024x768); video models: HEIGHTxWIDTH (default: the model's).",
        };
    }

    public Option<string> Model { get; } = new("--model", "-m")
    {
        Description = "The model: a checkpoint file, a model or pipeline folder, or a built-in model name (tiny-mnist); its family is detected.",
        Required = true,
    };

    public Option<string> Family { get; } = new("--family")
    {
        Description = $"Model family: auto (detect from the path) or {string.Join(", ", ModelFamilyRegistry.Default.Families.Select(f => f.Name))}.",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string?> Vae { get; } = new("--vae") { Description =
        "Latent checkpoints: a diffusers VAE folder (default: a 'vae' folder beside the model)." };
    public Option<int?> Heads { get; } = new("--heads") { Description = "Attention heads, when they cannot be inferred from the checkpoint." };
    public Option<string> Device { get; } = new("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
    public Option<int?> Steps { get; } = new("--steps") { Description = "Denoising steps (default: the model's)." };
    public Option<string?> Scheduler { get; } = new("--scheduler") { Description =
        $"Sampler: {string.Join(", ", SchedulerRegistry.Names)} (default: the model's)." };
    public Option<double?> Cfg { get; } = new("--cfg") { Description = "Classifier-free guidance scale, 1 = off (default: the model's)." };

    public Option<string?> GuidanceChannels { get; } = new("--guidance-channels")
    {
        Description = "Class-conditional latent models: reference (first 3 latent channels, as the DiT repo; default) or all (as diffusers).",
    };

    public Option<string> EncoderDType { get; } = new("--encoder-dtype")
    {
        Description = "Text-conditioned models: text encoder weight dtype, bf16 (default: half the memory, fp32 arithmetic) or fp32.",
        DefaultValueFactory = _ => "bf16",
    };

    public Option<string?> Size { get; }

    public Option<int?> Threads { get; } = new("--threads")
    {
        Description = "LibTorch intra-op threads for this run (default: LibTorch's, one per core; small models are often faster with 1).",
    };
    public IEnumerable<Option> Sampling => [Model, Family, Vae, Heads, Device, Threads, Steps, Scheduler, Cfg, GuidanceChannels, Size, EncoderDType];

    public Option<string> WindowSemantics { get; } = new("--window-semantics")
    {
        Description = "block (block band, default: faster) or token (the reference's token band).", DefaultValueFactory = _ => "block",
    };

    public Option<int?> Window { get; } = new("--window") { Description = "Window half-width w in tokens (default N/8)." };
    public Option<string?> PlanDir { get; } = new("--plan-dir") { Description =
        "Folder of cached plans (default $FASTATTN_PLAN_DIR or ~/.cache/fastattn/plans)." };

    public Option<int?> Calibration { get; } = new("--calib")
    {
        Description = "Plan search calibration samples: random class labels (class-conditional models, default 8, the paper's) or the first N " +
            "shipped captions (text to image: default 6, the paper's; --calib 40 takes all 40; video: default all 12).",
    };

    public Option<long> CalibrationSeed { get; } = new("--calib-seed") { Description = "Plan search calibration seed.", DefaultValueFactory = _ => 3
        };

    public Option<string?> Metric { get; } = new("--metric")
    {
        Description = "What plan search compares outputs on: raw (MRAE on the reference's CFG-batch output), guided (MRAE on the guided " +
            "output) or ssim (1 − SSIM of each step's decoded x0 estimate; the paper suggests about δ/10); default: the model's (raw unless " +
            "its defaults.json says).",
    };

    public Option<string> Order { get; } = new("--order")
    {
        Description = "Plan search candidate order: measured (default: skip methods not measurably cheaper than full attention on this " +
            "device, try the rest largest measured saving first) or reference (the reference's fixed order).",
        DefaultValueFactory = _ => "measured",
    };

    public Option<string> Scope { get; } = new("--scope")
    {
        Description = "Plan search scope for a custom --threshold: attention (default; the paper's) or block (block reuse and forecast, MLP " +
            "sharing too). Presets decide it themselves: D1..D6 attention, B1..B6 block (and the ssim metric).",
        DefaultValueFactory = _ => "attention",
    };

    public Option<bool> NoForecast { get; } = new("--no-forecast")
    {
        Description = "Block scope: skipped blocks are only reused, never forecast from their last two computed steps (part of the plan key).",
    };

    public IEnumerable<Option> Planning => [WindowSemantics, Window, PlanDir, Calibration, CalibrationSeed, Metric, Order, Scope, NoForecast];

    /// <summary>Sets LibTorch's intra-op threads from --threads (process-wide; before any cost model is made, so costs are keyed by it).</summary>
    public void ApplyThreads(ParseResult parse)
    {
        if (parse.GetValue(Threads) is not int threads) return;
        if (threads < 1) throw new ArgumentOutOfRangeException("--threads", $"--threads must be at least 1; got {threads}.");
        TorchSharp.torch.set_num_threads(threads);
    }

    /// <summary>Loads --model with its family (--family), on --device, with the device's measured attention costs.</summary>
    public IGenerativeModel Load(ParseResult parse)
    {
        ApplyThreads(parse);
        var settings = ModelLoadSettings.For(parse.GetValue(Device)!);
        settings = settings with
        {
            CostModel = SharedCostModels.For(settings.Device),
            Vae = parse.GetValue(Vae),
            Heads = parse.GetValue(Heads),
            AnySize = true,
            EncoderDType = WeightDType(parse.GetValue(EncoderDType)!, "--encoder-dtype"),
        };
        return ModelFamilyRegistry.Default.Load(parse.GetValue(Model)!, settings, parse.GetValue(Family));
    }

    /// <summary>
    /// A request of the model's kind (a <see cref="VideoRequest"/> for video models) with the sampling flags; a size the
    /// model does not make natively is generated at its nearest native size and resized.
    /// </summary>
    public GenerationRequest Request(ParseResult parse, IGenerativeModel model, int? frames = null, double? fps = null)
    {
        bool video = model.Output == OutputKind.Video;
        GenerationRequest request = video ? new VideoRequest { Frames = frames, Fps = fps } : new GenerationRequest();
        var size = PixelSize(parse, heightFirst: _video || video);
        return request with
        {
            Steps = parse.GetValue(Steps),
            Sampler = parse.GetValue(Scheduler),
            GuidanceScale = parse.GetValue(Cfg),
            Width = size?.Width,
            Height = size?.Height,
            AllowResize = true,
            GuidedChannels = parse.GetValue(GuidanceChannels) is string channels ? Guidance(channels) : null,
        };
    }

    /// <summary>--size as (width, height), or null for the model's own; <paramref name="heightFirst"/>: HEIGHTxWIDTH.</summary>
    public (int Width, int Height)? PixelSize(ParseResult parse, bool heightFirst = false) =>
        parse.GetValue(Size) is string text ? ParseSize(text, heightFirst, "--size") : null;

    /// <summary>"512", "WIDTHxHEIGHT" or (<paramref name="heightFirst"/>) "HEIGHTxWIDTH" as (width, height); <paramref name="option"/> names the
    /// flag.</summary>
    public static (int Width, int Height) ParseSize(string text, bool heightFirst, string option)
    {
        var parts = text.Trim().ToLowerInvariant().Split('x');
        var sides = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : 0).ToArray();
        if (heightFirst && sides.Length == 2 && sides.All(v => v > 0)) return (sides[1], sides[0]);
        if (!heightFirst && sides.Length is 1 or 2 && sides.All(v => v > 0)) return (sides[0], sides[^1]);
        throw new ArgumentException(heightFirst
            ? $"{option} '{text}' is not HEIGHTxWIDTH (e.g. 240x426)."
            : $"{option} '{text}' is not a size: give pixels (512) or WIDTHxHEIGHT (1024x768).");
    }

    /// <summary>The plan-search settings from the planning flags (unset ones: the model's defaults).</summary>
    public PlanSearchSettings SearchSettings(ParseResult parse) => new()
    {
        CalibrationCount = parse.GetValue(Calibration),
        CalibrationSeed = parse.GetValue(CalibrationSeed),
        WindowSemantics = PlanSearchNames.Window(parse.GetValue(WindowSemantics)!),
        WindowHalfWidth = parse.GetValue(Window),
        Metric = parse.GetValue(Metric) is string metric ? PlanSearchNames.Metric(metric) : null,
        CandidateOrder = PlanSearchNames.Order(parse.GetValue(Order)!),
        SearchScope = PlanSearchNames.Scope(parse.GetValue(Scope)!),
        BlockForecast = !parse.GetValue(NoForecast),
    };

    /// <summary>The plan resolver: --plan-dir, then the model's shipped plans; searches with the planning flags.</summary>
    public PlanResolver Resolver(ParseResult parse, CancellationToken lifetime) =>
        new(new PlanResolverOptions { UserFolder = PlanDirectory(parse), Search = SearchSettings(parse) }, lifetime: lifetime);

    public string PlanDirectory(ParseResult parse) => parse.GetValue(PlanDir) ?? PlanLookup.DefaultDirectory;

    private static GuidedChannels Guidance(string name) => name.Trim().ToLowerInvariant() switch
    {
        "reference" or "ref" => GuidedChannels.ReferenceFirstThree,
        "all" => GuidedChannels.AllLatent,
        var other => throw new NotSupportedException($"Unknown guidance channels '{other}'. Allowed: reference, all."),
    };

    /// <summary>A weight dtype from its name: bf16 or fp32 (<paramref name="option"/> names the flag in errors).</summary>
    public static TorchSharp.torch.ScalarType WeightDType(string name, string option) => name.Trim().ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
        "fp32" or "float32" => TorchSharp.torch.ScalarType.Float32,
        var other => throw new NotSupportedException($"Unknown {option} '{other}'. Allowed: bf16, fp32."),
    };
}
