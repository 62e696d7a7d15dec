using System.CommandLine;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn search</c>: the greedy DiTFastAttn plan search for any model and its sampling settings.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var preset = new Option<string?>("--preset") { Description =
            "Quality preset D1..D6 (δ = 0.025·k), B1..B6 (block scope on SSIM, δ = 0.0025·k), or V1..V5 for video (δ = 0.01·k)." };
        var threshold = new Option<double?>("--threshold") { Description = "Custom threshold δ (instead of a preset)." };
        var plain = new Option<bool>("--plain") { Description = "Plain search (no prefix reuse; same plan, about twice the cost)." };
        var output = new Option<string?>("--out", "-o") { Description = "Also write the plan here." };
        var videoAttention = new Option<string>("--video-attention")
        {
            Description = "Video models: the attention to compress, spatial (the reference's) or temporal.", DefaultValueFactory = _ => "spatial",
        };
        var frames = new Option<int?>("--frames") { Description = "Video models: frames of the clips the plan is for (default: the model's)." };
        var command = new Command("search", "Search a DiTFastAttn compression plan (greedy, per layer and step) for a model of any family.")
        {
            preset, threshold, plain, output, frames, videoAttention,
        };
        foreach (var o in common.Sampling.Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            double delta = Delta(parse.GetValue(preset), parse.GetValue(threshold));
            var target = PlanSearchNames.Target(parse.GetValue(videoAttention)!);
            using var model = common.Load(parse);
            var generation = model.Prepare(common.Request(parse, model, parse.GetValue(frames)) with { Prompt = PlanSearchNames.SamplePrompt(model)
                });
            var settings = (common.SearchSettings(parse) with { PrefixReuse = !parse.GetValue(plain), Target = target })
                .ForPreset(parse.GetValue(preset));
            var plan = await ConsoleProgress.RunSearchAsync($"search δ={delta.ToString("0.####", CultureInfo.InvariantCulture)}", generation.Steps,
                progress => generation.SearchPlan(delta, settings, progress, cancellationToken), cancellationToken);
            var cached = new PlanDirectory(common.PlanDirectory(parse)).Save(plan);
            var path = parse.GetValue(output);
            if (path is not null) PlanSerializer.Save(plan, path);
            PlanCommand.Print(plan);
            AnsiConsole.MarkupLine($"Plan cached at [bold]{Markup.Escape(cached)}[/]" +
                $"{(path is not null ? $" and written to [bold]{Markup.Escape(Path.GetFullPath(path))}[/]" : "")}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static double Delta(string? preset, double? threshold)
    {
        if (preset is not null && threshold is not null) throw new ArgumentException("Give either --preset or --threshold, not both.");
        if (threshold is double t)
        {
            if (t < 0 || double.IsNaN(t)) throw new ArgumentException($"The threshold must be ≥ 0; got {t}.");
            return t;
        }
        return CompressionPresets.Threshold(preset ?? throw new
            ArgumentException("Give a quality preset (--preset D1..D6, B1..B6) or a threshold (--threshold δ)."));
    }
}
