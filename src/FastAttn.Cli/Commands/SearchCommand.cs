using System.CommandLine;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn search</c>: the greedy DiTFastAttn plan search for a model and sampling settings.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var preset = new Option<string?>("--preset") { Description = "Quality preset D1..D6 (δ = 0.025·k)." };
        var threshold = new Option<double?>("--threshold") { Description = "Custom threshold δ (instead of a preset)." };
        var plain = new Option<bool>("--plain") { Description = "Plain search (no prefix reuse; same plan, about twice the cost)." };
        var output = new Option<string?>("--out", "-o") { Description = "Also write the plan here." };
        var videoAttention = new Option<string>("--video-attention") { Description = "Open-Sora folders: the attention to compress, spatial (the reference's) or temporal.", DefaultValueFactory = _ => "spatial" };
        var frames = new Option<int>("--frames") { Description = "Open-Sora folders: frames of the clips the plan is for (16); --size is then HEIGHTxWIDTH (240x426).", DefaultValueFactory = _ => 16 };
        var command = new Command("search", "Search a DiTFastAttn compression plan (greedy, per layer and step) for a DiT, a PixArt pipeline or an Open-Sora folder.")
        {
            preset, threshold, plain, output, frames, videoAttention,
        };
        foreach (var o in common.Sampling.Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            double delta = Delta(parse.GetValue(preset), parse.GetValue(threshold));
            if (OpenSoraPipelineFolder.IsOpenSoraFolder(parse.GetValue(common.Model)!))
                return await SearchVideoAsync(parse, common, delta, parse.GetValue(plain), parse.GetValue(frames),
                    GenerateVideoCommand.ParseTarget(parse.GetValue(videoAttention)!), parse.GetValue(output), cancellationToken);
            if (PixArtPipelineFolder.IsPixArtFolder(parse.GetValue(common.Model)!))
                return await SearchTextToImageAsync(parse, common, delta, parse.GetValue(plain), parse.GetValue(output), cancellationToken);
            using var loaded = common.Load(parse);
            int latent = common.LatentSize(parse, loaded);
            var request = new DiTGenerationRequest
            {
                ClassLabels = [0], Steps = common.StepsFor(parse, loaded), Scheduler = common.SchedulerFor(parse, loaded),
                GuidanceScale = common.CfgFor(parse, loaded), GuidedChannels = common.Guidance(parse), Size = latent,
            };
            var options = PlanLookup.SearchOptions(loaded.Pipeline, request, delta, common.WindowFor(parse, loaded, latent),
                parse.GetValue(common.Calibration), parse.GetValue(common.CalibrationSeed), common.MetricFor(parse, loaded)) with { PrefixReuse = !parse.GetValue(plain) };
            var search = new GreedyPlanSearch(loaded.Pipeline);
            var plan = await ConsoleProgress.RunSearchAsync($"search δ={delta.ToString("0.###", CultureInfo.InvariantCulture)}", options.Steps,
                progress => search.Search(options, progress, cancellationToken), cancellationToken);
            return Save(parse, common, plan, parse.GetValue(output));
        });
        return command;
    }

    /// <summary>The search on a PixArt pipeline folder, calibrated on the shipped captions (or the first --calib of them).</summary>
    private static async Task<int> SearchTextToImageAsync(ParseResult parse, CommonOptions common, double delta, bool plain, string? output, CancellationToken cancellationToken)
    {
        var device = Engine.Runtime.DeviceSelector.Resolve(Engine.Runtime.DeviceSelector.Parse(parse.GetValue(common.Device)!));
        using var pipeline = PixArtPipelineFolder.Load(parse.GetValue(common.Model)!, device, Engine.Runtime.DeviceSelector.DefaultDType(device));
        var size = common.PixelSize(parse);
        var request = new PixArtGenerationRequest
        {
            Prompts = [""],
            Steps = parse.GetValue(common.Steps) ?? 20,
            Scheduler = parse.GetValue(common.Scheduler) is string name ? SchedulerRegistry.Get(name) : null,
            GuidanceScale = parse.GetValue(common.Cfg) ?? 4.5,
            Width = size?.Width,
            Height = size?.Height,
        };
        var options = TextToImagePlans.Options(parse, common, pipeline, request, delta) with { PrefixReuse = !plain };
        var plan = await ConsoleProgress.RunSearchAsync($"search δ={delta.ToString("0.###", CultureInfo.InvariantCulture)}", options.Steps,
            progress => new PixArtPlanSearch(pipeline).Search(options, progress, cancellationToken), cancellationToken);
        return Save(parse, common, plan, output);
    }

    /// <summary>The search on an Open-Sora folder's spatial attention, calibrated on the shipped video prompts (or the first --calib).</summary>
    private static async Task<int> SearchVideoAsync(ParseResult parse, CommonOptions common, double delta, bool plain, int frames,
        Engine.Models.OpenSora.VideoAttention target, string? output, CancellationToken cancellationToken)
    {
        var device = Engine.Runtime.DeviceSelector.Resolve(Engine.Runtime.DeviceSelector.Parse(parse.GetValue(common.Device)!));
        using var pipeline = OpenSoraPipelineFolder.Load(parse.GetValue(common.Model)!, device, Engine.Runtime.DeviceSelector.DefaultDType(device));
        var (height, width) = GenerateVideoCommand.ParseSize(parse.GetValue(common.Size) ?? "240x426");
        var request = new VideoGenerationRequest
        {
            Prompts = [""], Frames = frames, Height = height, Width = width, Steps = parse.GetValue(common.Steps) ?? 100,
            Scheduler = SchedulerRegistry.Get(parse.GetValue(common.Scheduler) ?? "iddpm"), GuidanceScale = parse.GetValue(common.Cfg) ?? 7.0,
        };
        var options = GenerateVideoCommand.Options(parse, common, pipeline, request, delta, target) with { PrefixReuse = !plain };
        var plan = await ConsoleProgress.RunSearchAsync($"search δ={delta.ToString("0.###", CultureInfo.InvariantCulture)}", options.Steps,
            progress => new OpenSoraPlanSearch(pipeline).Search(options, progress, cancellationToken), cancellationToken);
        return Save(parse, common, plan, output);
    }

    /// <summary>Caches the plan, writes it to --out when given, prints it.</summary>
    private static int Save(ParseResult parse, CommonOptions common, CompressionPlan plan, string? output)
    {
        var cached = new PlanDirectory(common.PlanDirectory(parse)).Save(plan);
        if (output is not null) PlanSerializer.Save(plan, output);
        PlanCommand.Print(plan);
        AnsiConsole.MarkupLine($"Plan cached at [bold]{Markup.Escape(cached)}[/]{(output is not null ? $" and written to [bold]{Markup.Escape(Path.GetFullPath(output))}[/]" : "")}.");
        return ExitCodes.Ok;
    }

    public static double Delta(string? preset, double? threshold)
    {
        if (preset is not null && threshold is not null) throw new ArgumentException("Give either --preset or --threshold, not both.");
        if (threshold is double t)
        {
            if (t < 0 || double.IsNaN(t)) throw new ArgumentException($"The threshold must be ≥ 0; got {t}.");
            return t;
        }
        return CompressionPresets.Threshold(preset ?? throw new ArgumentException("Give a quality preset (--preset D1..D6) or a threshold (--threshold δ)."));
    }
}
