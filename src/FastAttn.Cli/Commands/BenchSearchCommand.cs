using System.CommandLine;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Generation;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn bench search</c>: plan-search cost, plain vs prefix reuse, same plan required, for a model of any family.</summary>
internal static class BenchSearchCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var model = new Option<string?>("--model")
        {
            Description = "A model of any family, e.g. tiny-mnist (default: a random-weight --config model).",
        };
        var config = new Option<string>("--config")
        {
            Description = $"Random-weight config when no --model: {string.Join(", ", RandomModels.Names)}.", DefaultValueFactory = _ => "DiT-tiny",
        };
        var depth = new Option<int?>("--depth") { Description = "Layers of the random model (default: the config's)." };
        var hidden = new Option<int?>("--hidden") { Description = "Width of a small random model (default: the config's)." };
        var size = new Option<int?>("--input-size") { Description = "Latent input side of a small random model (default: the config's)." };
        var presets = new Option<string>("--presets") { Description = "Presets to search.", DefaultValueFactory = _ => "D1,D6" };
        var calib = new Option<int>("--calib") { Description = "Calibration samples.", DefaultValueFactory = _ => 4 };
        var output = new Option<string>("--out", "-o") { Description = "Output base path.", DefaultValueFactory = _ => "bench/search" };
        var command = new Command("search", "Plan-search cost: plain vs prefix reuse (forward-equivalents and wall time; the plans must be equal).")
        {
            model, common.Family, config, depth, hidden, size, presets, common.Steps, calib, common.Order, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using IGenerativeModel subject = parse.GetValue(model) is string path
                ? ModelFamilyRegistry.Default.Load(path, new ModelLoadSettings { CostModel = SharedCostModels.For(null) },
                    parse.GetValue(common.Family))
                : RandomModels.Create(parse.GetValue(config)!, new RandomModelOptions
                {
                    Depth = parse.GetValue(depth), Width = parse.GetValue(hidden), LatentSize = parse.GetValue(size),
                    CostModel = SharedCostModels.For(null),
                });
            var request = subject.Output == OutputKind.Video ? new VideoRequest() : new GenerationRequest();
            var generation = subject.Prepare(request with { Prompt = PlanSearchNames.SamplePrompt(subject), Steps = parse.GetValue(common.Steps) });
            var settings = new PlanSearchSettings
            {
                CalibrationCount = parse.GetValue(calib), CandidateOrder = PlanSearchNames.Order(parse.GetValue(common.Order)!),
            };
            var report = new BenchReport("Plan search cost: prefix reuse vs plain",
                ["preset", "method", "forwardEquivalents", "seconds", "costFraction", "timeFraction", "samePlan"]);
            report.Provenance["model"] = subject is RandomModel random ? random.Describe(generation)
                : $"{subject.Source} (real weights, depth {generation.AttentionShape?.Layers})";
            report.Provenance["search"] = $"{generation.Settings}, {parse.GetValue(calib)} calibration samples, " +
                $"{settings.CandidateOrder.ToString().ToLowerInvariant()} candidate order";
            var rows = new List<(string Preset, double Plain, double Reuse)>();
            foreach (var preset in parse.GetValue(presets)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                double delta = CompressionPresets.Threshold(preset);
                Console.Error.WriteLine($"Searching {preset}: plain, then prefix reuse ...");
                var plain = await Task.Run(() => generation.SearchPlan(delta, settings with { PrefixReuse = false }, null, cancellationToken),
                    cancellationToken);
                var reuse = await Task.Run(() => generation.SearchPlan(delta, settings with { PrefixReuse = true }, null, cancellationToken),
                    cancellationToken);
                bool same = plain.Methods.Zip(reuse.Methods).All(p => p.First.SequenceEqual(p.Second));
                var (p, r) = (plain.Search!, reuse.Search!);
                report.Add(new()
                {
                    ["preset"] = preset, ["method"] = "plain", ["forwardEquivalents"] = p.ForwardEquivalents, ["seconds"] = p.Seconds,
                    ["costFraction"] = 1.0, ["timeFraction"] = 1.0, ["samePlan"] = true,
                });
                report.Add(new()
                {
                    ["preset"] = preset, ["method"] = "prefix-reuse", ["forwardEquivalents"] = r.ForwardEquivalents, ["seconds"] = r.Seconds,
                    ["costFraction"] = r.ForwardEquivalents / p.ForwardEquivalents, ["timeFraction"] = r.Seconds / p.Seconds, ["samePlan"] = same,
                });
                rows.Add((preset, p.ForwardEquivalents, r.ForwardEquivalents));
                if (!same) throw new InvalidOperationException($"Prefix reuse found another plan than the plain search for {preset}.");
            }
            report.Write(parse.GetValue(output)!, plot =>
            {
                BenchReport.AddBars(plot, rows, 3, 0, r => r.Plain, ScottPlot.Colors.Gray, "plain (forward-equivalents)");
                BenchReport.AddBars(plot, rows, 3, 1, r => r.Reuse, ScottPlot.Colors.SteelBlue, "prefix reuse");
                plot.Axes.Bottom.SetTicks(rows.Select((_, i) => i * 3 + 0.5).ToArray(), rows.Select(r => r.Preset).ToArray());
                plot.ShowLegend();
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
