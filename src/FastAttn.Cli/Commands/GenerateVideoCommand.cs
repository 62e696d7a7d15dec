using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn generate-video</c>: a clip from text with any video model, optionally with DiTFastAttn.</summary>
internal static class GenerateVideoCommand
{
    public static Command Create()
    {
        var common = new CommonOptions(video: true);
        var plans = new PlanFlags("V1..V5 (video, δ 0.01–0.05), D1..D6");
        var prompt = new Option<string>("--prompt", "-p") { Description = "What the clip shows.", Required = true };
        var frames = new Option<int?>("--frames") { Description = "Frames (default: the model's)." };
        var fps = new Option<double?>("--fps") { Description = "Playback frames per second of the GIF (default: the model's)." };
        var seed = new Option<long>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o")
        {
            Description = "The animated GIF; its frames go to NAME-frames/ beside it.",
            DefaultValueFactory = _ => "clip.gif",
        };
        var temporalPreset = new Option<string?>("--temporal-preset")
        {
            Description = "Also compress the temporal attention with this preset's cached plan (searched with `fastattn search --video-attention " +
                "temporal`).",
        };
        var temporalPlan = new Option<string?>("--temporal-plan") { Description = "A plan file for the temporal attention." };
        var command = new Command("generate-video",
            "Generate a video clip from text with a video model, optionally with DiTFastAttn on its spatial attention.")
        {
            prompt, frames, fps, seed, output, temporalPreset, temporalPlan,
        };
        Option[] sampling = [common.Model, common.Family, common.Device, common.Threads, common.Steps, common.Scheduler, common.Cfg,
            common.Size, common.EncoderDType];
        foreach (var o in plans.All.Concat(sampling).Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var gifPath = parse.GetValue(output)!;
            if (!Path.GetExtension(gifPath).Equals(".gif", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out must name a .gif file (animated WebP needs ImageSharp 3); got '{gifPath}'.");
            common.PixelSize(parse, heightFirst: true);                                      // a bad size fails before loading
            var load = Stopwatch.StartNew();
            using var model = common.Load(parse);
            load.Stop();
            if (model.Output != OutputKind.Video)
                throw new ArgumentException($"'{model.Source}' is a {model.Family} image model: use `fastattn generate`.");
            var request = plans.Apply(parse, common.Request(parse, model, parse.GetValue(frames), parse.GetValue(fps)) with
            {
                Prompt = parse.GetValue(prompt)!,
                Seed = parse.GetValue(seed),
            });
            var resolver = common.Resolver(parse, cancellationToken);
            bool search = parse.GetValue(plans.Search);
            var settings = common.SearchSettings(parse);
            var spatial = await PlanFlags.ResolveAsync(resolver, model, model.Prepare(request), search, settings, common.PlanDirectory(parse),
                cancellationToken);
            var temporalRequest = PlanFlags.With(request, parse.GetValue(temporalPlan), parse.GetValue(temporalPreset), null);
            var temporal = await PlanFlags.ResolveAsync(resolver, model, model.Prepare(temporalRequest), search,
                settings with { Target = PlanSearchNames.Target("temporal") }, common.PlanDirectory(parse), cancellationToken);
            var generation = model.Prepare((VideoRequest)request with { Plan = null, TemporalPlan = temporal?.Plan });
            using var result = await ConsoleProgress.RunAsync($"{generation.Settings}", generation.Steps,
                progress => generation.Run(spatial?.Plan, progress, cancellationToken), cancellationToken);
            var clip = (VideoOutput)result;
            var framesDir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(gifPath))!, Path.GetFileNameWithoutExtension(gifPath) + "-frames");
            var framePaths = clip.SaveClip(0, gifPath, framesDir);
            var attention = PlanFlags.Describe(spatial, parse.GetValue(plans.Plan), "spatial-attention") +
                (spatial is null ? "" : $", {result.AttentionFallbacks} fallbacks");
            if (temporal is not null) attention += "; temporal " + PlanFlags.Describe(temporal, parse.GetValue(temporalPlan), "temporal-attention");
            AnsiConsole.MarkupLine($"Saved [bold]{Markup.Escape(Path.GetFullPath(gifPath))}[/] ({clip.Frames} frames, " +
                $"{generation.Width}x{generation.Height}, " +
                $"{clip.Fps.ToString(CultureInfo.InvariantCulture)} fps) and {framePaths.Count} PNG frames in [bold]{Markup.Escape(framesDir)}[/].");
            AnsiConsole.MarkupLine($"Loaded in {load.Elapsed.TotalSeconds:F1}s, generated in {result.Elapsed.TotalSeconds:F1}s; attention: " +
                $"{attention}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
