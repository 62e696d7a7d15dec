using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn generate-video</c>: text to video with an Open-Sora v1.1 folder, optionally with DiTFastAttn.</summary>
internal static class GenerateVideoCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "What the clip shows.", Required = true };
        var frames = new Option<int>("--frames") { Description = "Frames (Open-Sora v1.1: 16).", DefaultValueFactory = _ => 16 };
        var size = new Option<string>("--size") { Description = "HEIGHTxWIDTH in pixels, Open-Sora's order (240p: 240x426; the latent is /8, rounded down).", DefaultValueFactory = _ => "240x426" };
        var fps = new Option<double>("--fps") { Description = "Playback frames per second of the GIF (the reference: 24 / frame interval 3 = 8).", DefaultValueFactory = _ => 8 };
        var seed = new Option<long>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "The animated GIF; its frames go to NAME-frames/ beside it.", DefaultValueFactory = _ => "clip.gif" };
        var plan = new Option<string?>("--plan") { Description = "A DiTFastAttn plan file (from fastattn search)." };
        var preset = new Option<string?>("--preset") { Description = "Quality preset: V1..V5 (video, δ 0.01–0.05), D1..D6, or raw; uses the cached plan for these settings." };
        var threshold = new Option<double?>("--threshold") { Description = "Custom threshold δ: uses the cached plan for it." };
        var search = new Option<bool>("--search") { Description = "With --preset/--threshold: search the plan now when none is cached." };
        var temporalPreset = new Option<string?>("--temporal-preset") { Description = "Also compress the temporal attention with this preset's cached plan (searched with `fastattn search --video-attention temporal`)." };
        var temporalPlan = new Option<string?>("--temporal-plan") { Description = "A plan file for the temporal attention." };
        var encoderDType = new Option<string>("--encoder-dtype") { Description = "T5 weight dtype, bf16 (default) or fp32.", DefaultValueFactory = _ => "bf16" };
        var command = new Command("generate-video", "Generate a video clip from text with an Open-Sora v1.1 (STDiT2) folder, optionally with DiTFastAttn on its spatial attention.")
        {
            prompt, frames, size, fps, seed, output, plan, preset, threshold, search, temporalPreset, temporalPlan, encoderDType,
        };
        foreach (var o in new Option[] { common.Model, common.Device, common.Steps, common.Scheduler, common.Cfg }.Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (height, width) = ParseSize(parse.GetValue(size)!);
            var gifPath = parse.GetValue(output)!;
            if (!Path.GetExtension(gifPath).Equals(".gif", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out must name a .gif file (animated WebP needs ImageSharp 3); got '{gifPath}'.");
            var load = Stopwatch.StartNew();
            var device = Engine.Runtime.DeviceSelector.Resolve(Engine.Runtime.DeviceSelector.Parse(parse.GetValue(common.Device)!));
            var model = parse.GetValue(common.Model)!;
            if (!OpenSoraPipelineFolder.IsOpenSoraFolder(model))
                throw new ArgumentException($"'{model}' is not an Open-Sora folder (transformer/ with an STDiT2, text_encoder/, tokenizer/, vae/).");
            using var pipeline = OpenSoraPipelineFolder.Load(model, device, Engine.Runtime.DeviceSelector.DefaultDType(device),
                CommonOptions.WeightDType(parse.GetValue(encoderDType)!, "--encoder-dtype"));
            load.Stop();
            var request = new VideoGenerationRequest
            {
                Prompts = [parse.GetValue(prompt)!],
                Seeds = [parse.GetValue(seed)],
                Frames = parse.GetValue(frames),
                Height = height,
                Width = width,
                Steps = parse.GetValue(common.Steps) ?? 100,
                Scheduler = SchedulerRegistry.Get(parse.GetValue(common.Scheduler) ?? "iddpm"),
                GuidanceScale = parse.GetValue(common.Cfg) ?? 7.0,
                OutputFps = parse.GetValue(fps),
            };
            var (compression, planSource) = await ResolvePlanAsync(parse, common, pipeline, request, parse.GetValue(plan), parse.GetValue(preset),
                parse.GetValue(threshold), parse.GetValue(search), VideoAttention.Spatial, cancellationToken);
            var (temporal, temporalSource) = await ResolvePlanAsync(parse, common, pipeline, request, parse.GetValue(temporalPlan), parse.GetValue(temporalPreset),
                null, parse.GetValue(search), VideoAttention.Temporal, cancellationToken);
            request = request with { Plan = compression, TemporalPlan = temporal };
            var result = await ConsoleProgress.RunAsync($"{request.Frames} frames at {width}x{height}, {request.Steps} {request.Scheduler!.Name} steps", request.Steps,
                progress => pipeline.Generate(request, progress, cancellationToken), cancellationToken);
            using (result)
            {
                var framesDir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(gifPath))!, Path.GetFileNameWithoutExtension(gifPath) + "-frames");
                using var clip = result.Videos[0];
                var framePaths = AnimatedImageWriter.Save(clip, gifPath, result.Fps, framesDir);
                var attention = compression?.Flops is FlopsFractions f
                    ? $"DiTFastAttn plan {Markup.Escape(planSource)}, spatial-attention FLOPs {f.ModuleFraction:P1} of full, {result.AttentionFallbacks} fallbacks"
                    : "full (uncompressed)";
                if (temporal?.Flops is FlopsFractions tf)
                    attention += $"; temporal plan {Markup.Escape(temporalSource)}, temporal-attention FLOPs {tf.ModuleFraction:P1} of full";
                AnsiConsole.MarkupLine($"Saved [bold]{Markup.Escape(Path.GetFullPath(gifPath))}[/] ({clip.shape[1]} frames, {clip.shape[3]}x{clip.shape[2]}, {result.Fps.ToString(CultureInfo.InvariantCulture)} fps) " +
                    $"and {framePaths.Count} PNG frames in [bold]{Markup.Escape(framesDir)}[/].");
                AnsiConsole.MarkupLine($"Loaded in {load.Elapsed.TotalSeconds:F1}s, generated in {result.Elapsed.TotalSeconds:F1}s; attention: {attention}.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>HEIGHTxWIDTH → (height, width).</summary>
    internal static (int Height, int Width) ParseSize(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && h > 0
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w) && w > 0)
            return (h, w);
        throw new ArgumentException($"--size '{text}' is not HEIGHTxWIDTH (e.g. 240x426).");
    }

    /// <summary>Search options for a video request from the planning flags (--calib takes the first N shipped prompts).</summary>
    internal static PlanSearchOptions Options(ParseResult parse, CommonOptions common, OpenSoraPipeline pipeline, VideoGenerationRequest request, double delta,
        VideoAttention target)
    {
        var search = new OpenSoraPlanSearch(pipeline);
        var metric = parse.GetValue(common.Metric) is string name ? SamplingDefaults.ParseMetric(name) : SearchMetric.RawOutput;
        return search.OptionsFor(request, delta, common.CaptionCount(parse), parse.GetValue(common.CalibrationSeed), metric,
            common.WindowFor(parse, pipeline.TokensPerCall(request, target)), target);
    }

    /// <summary>Parses --video-attention.</summary>
    internal static VideoAttention ParseTarget(string text) => text.Trim().ToLowerInvariant() switch
    {
        "spatial" => VideoAttention.Spatial,
        "temporal" => VideoAttention.Temporal,
        var other => throw new NotSupportedException($"Unknown --video-attention '{other}'. Allowed: spatial, temporal."),
    };

    private static Task<(CompressionPlan? Plan, string Source)> ResolvePlanAsync(ParseResult parse, CommonOptions common, OpenSoraPipeline pipeline,
        VideoGenerationRequest request, string? planFile, string? preset, double? threshold, bool searchIfMissing, VideoAttention target,
        CancellationToken cancellationToken) =>
        PlanResolution.ResolveAsync(planFile, preset, threshold, searchIfMissing, delta => Options(parse, common, pipeline, request, delta, target),
            options => new OpenSoraPlanSearch(pipeline).KeyFor(options), TextToImagePlans.SearchPath(parse, common), common.PlanDirectory(parse),
            (options, progress) => new OpenSoraPlanSearch(pipeline).Search(options, progress, cancellationToken), cancellationToken);
}
