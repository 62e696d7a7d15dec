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
        var command = new Command("search", "Search a DiTFastAttn compression plan (greedy, per layer and step).") { preset, threshold, plain, output };
        foreach (var o in common.Sampling.Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            double delta = Delta(parse.GetValue(preset), parse.GetValue(threshold));
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
            var dir = new PlanDirectory(common.PlanDirectory(parse));
            var cached = dir.Save(plan);
            if (parse.GetValue(output) is string path) PlanSerializer.Save(plan, path);
            PlanCommand.Print(plan);
            AnsiConsole.MarkupLine($"Plan cached at [bold]{Markup.Escape(cached)}[/]{(parse.GetValue(output) is string p ? $" and written to [bold]{Markup.Escape(Path.GetFullPath(p))}[/]" : "")}.");
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
        return CompressionPresets.Threshold(preset ?? throw new ArgumentException("Give a quality preset (--preset D1..D6) or a threshold (--threshold δ)."));
    }
}
