using System.Runtime.InteropServices;
using System.CommandLine;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Benchmarks;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn bench e2e</c>: whole generations per preset against raw, in one run, with raw's attention share and the
/// end-to-end fraction FLOPs alone predict and the one the measured attention cost model predicts, for a model of any
/// family. A real model uses its own plans (found, or searched with --search); a random-weight model (--config) times
/// full-size shapes with a built-in model's searched plans resampled onto its grid, or plans searched on it (--search).
/// A preset whose plan is all full attention is raw under another name: "= raw" in the plan column, and not counted.
/// </summary>
internal static class BenchEndToEndCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var model = new Option<string?>("--model", "-m")
        {
            Description = "A model of any family (real weights, its own plans). Default: a random-weight --config model.",
        };
        var config = new Option<string>("--config")
        {
            Description = $"Random-weight config when no --model: {string.Join(", ", RandomModels.Names)}.", DefaultValueFactory = _ => "DiT-XL/2",
        };
        var resolution = new Option<int?>("--resolution")
        {
            Description = "Square image configs: the image side in pixels (latent = /8; default: the config's).",
        };
        var depth = new Option<int?>("--depth")
        {
            Description = "Layers of the random-weight model (default: the config's; fewer keeps a CPU run short).",
        };
        var presets = new Option<string>("--presets")
        {
            Description = "Presets to time (raw is always included).",
            DefaultValueFactory = _ => "raw,D1,D2,D3,D4,D5,D6",
        };
        var images = new Option<int>("--images") { Description = "Images (or clips) per generation (one batch).", DefaultValueFactory = _ => 1 };
        var reps = new Option<int>("--reps") { Description = "Timed rounds after a warm-up round (medians reported).", DefaultValueFactory = _ => 3 };
        var planFrom = new Option<string>("--plan-from")
        {
            Description = "Random weights: the built-in model whose searched plans are resampled onto the model's steps × layers.",
                DefaultValueFactory = _ => BuiltInModels.Default,
        };
        var search = new Option<bool>("--search")
        {
            Description = "Search the plans the model lacks (calibration --calib, seed 3, --order) instead of failing; with --config, " +
                "search them on the random-weight model instead of resampling a built-in model's.",
        };
        var frames = new Option<int?>("--frames") { Description = "Video models: frames per clip (default: the model's)." };
        var videoSize = new Option<string?>("--video-size")
        {
            Description = "Video models: HEIGHTxWIDTH in pixels (default: the model's, 240p: 240x426).",
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (writes .json, .md, .png).",
            DefaultValueFactory = _ => "bench/e2e",
        };
        var command = new Command("e2e",
            "End-to-end latency per preset vs raw, attention share, and the fraction FLOPs predict (1 − share·(1 − attention FLOPs fraction)).")
        {
            model, common.Family, config, resolution, depth, common.Steps, common.Scheduler, common.Cfg, presets, images, reps, planFrom,
                common.PlanDir,
            search, common.Calibration, common.Order, common.Device, common.Threads, frames, videoSize, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            common.ApplyThreads(parse);
            var dev = DeviceSelector.Resolve(DeviceSelector.Parse(parse.GetValue(common.Device)!));
            var names = parse.GetValue(presets)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (var name in names) CompressionPresets.Threshold(name);                  // unknown presets fail before any loading
            var size = parse.GetValue(videoSize) is string text ? CommonOptions.ParseSize(text, heightFirst: true, "--video-size") : ((int Width,
                int Height)?)null;
            var costs = SharedCostModels.For(dev);
            using IGenerativeModel subject = parse.GetValue(model) is string path
                ? ModelFamilyRegistry.Default.Load(path, new ModelLoadSettings { Device = dev, DType = DeviceSelector.DefaultDType(dev),
                    CostModel = costs }, parse.GetValue(common.Family))
                : RandomModels.Create(parse.GetValue(config)!, new RandomModelOptions { Device = dev, Depth = parse.GetValue(depth), Resolution =
                    parse.GetValue(resolution), CostModel = costs });
            bool video = subject.Output == OutputKind.Video;
            GenerationRequest request = video ? new VideoRequest { Frames = parse.GetValue(frames) } : new GenerationRequest();
            request = request with
            {
                Prompt = PlanSearchNames.SamplePrompt(subject), Count = parse.GetValue(images), Steps = parse.GetValue(common.Steps),
                Sampler = parse.GetValue(common.Scheduler), GuidanceScale = parse.GetValue(common.Cfg), TimeAttention = true,
                Width = video ? size?.Width : null, Height = video ? size?.Height : null,
            };
            var generation = subject.Prepare(request);
            var settings = new PlanSearchSettings
            {
                CalibrationCount = parse.GetValue(common.Calibration), CandidateOrder = PlanSearchNames.Order(parse.GetValue(common.Order)!),
            };
            var plans = subject is RandomModel && !parse.GetValue(search)
                ? EndToEndPlans.Resample(generation, names, parse.GetValue(planFrom)!)
                : await EndToEndPlans.ResolveAsync(subject, request, names, new PlanResolver(new PlanResolverOptions
                {
                    UserFolder = common.PlanDirectory(parse), Search = settings,
                }), parse.GetValue(search), settings, cancellationToken);
            var report = new BenchReport("End-to-end latency per preset vs raw",
                ["preset", "plan", "flopsFraction", "kernelFlopsFraction", "transformerFlopsFraction", "attentionShare", "flopsPredictedFraction",
                 "costAttentionFraction", "costTransformerFraction", "predictedFraction", "latencyFraction", "savingRatio",
                 "attentionLatencyFraction", "medianSeconds", "spreadSeconds", "fallbacks"]);
            Describe(report, subject, generation, plans, parse.GetValue(reps), dev);
            var rows = await Task.Run(() => EndToEndBenchmark.Run(generation, plans.Select(p => p.Case).ToList(), parse.GetValue(reps),
                new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken, costs), cancellationToken);
            Write(report, rows, plans.Where(p => p.Source is not null).ToDictionary(p => p.Case.Preset, p => p.Source!), parse.GetValue(output)!);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The report's provenance: machine, model, plans, sampling, timing and prediction.</summary>
    private static void Describe(BenchReport report, IGenerativeModel model, PreparedGeneration generation, IReadOnlyList<EndToEndPlan> plans, int
        reps,
        torch.Device device)
    {
        var random = model as RandomModel;
        string attention = random?.Attention ?? (model.Output == OutputKind.Video ? "spatial self-attention" : "self-attention");
        var notes = plans.Select(p => p.Note).OfType<string>().ToList();
        var shape = generation.AttentionShape;
        report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
            $"{device.type}, " +
            $"{torch.get_num_threads()} threads";
        report.Provenance["model"] = random?.Describe(generation) ?? $"{model.Source} (real weights)";
        report.Provenance["plans"] = (notes.Count == 0 ? "none" : string.Join("; ", notes)) + $" — applied to every block's {attention}";
        report.Provenance["sampling"] = $"{generation.Count} {(model.Output == OutputKind.Video ? "clip" : "image")}(s), {generation.Settings}" +
            (shape is null ? "" : $", {shape.Tokens} tokens per attention call") + $", {device.type}";
        report.Provenance["timing"] = $"{reps} interleaved rounds (each starting one preset later) after a warm-up round; medians; " +
            $"fractions are per-round ratios to raw; attention = the {attention} modules timed inside the same runs";
        report.Provenance["prediction"] = $"flopsPredictedFraction = 1 − attentionShare·(1 − flopsFraction), both for the whole {attention} " +
            "module; savingRatio = (1 − latencyFraction)/(1 − flopsPredictedFraction); costAttentionFraction = the plan's attention-module " +
            "time over all-full under the measured cost model (batch 2, this device; refresh steps included); transformerFlopsFraction = " +
            "the whole transformer's FLOPs over raw's (self-attention, a video's temporal attention, cross-attention, MLP, modulation; block " +
            "reuse, MLP and cross-attention sharing counted); costTransformerFraction = the blocks' time over raw's, each (step, layer) " +
            "charged its attention method under the cost model and, where it runs, the MLP (half when CFG-shared), the cross-attention " +
            "and the rest (norms, modulation, gates, residuals, a video's temporal attention) at the per-block times measured inside " +
            "raw's runs (see parts); a skipped block nothing; predictedFraction = 1 − blockShare·(1 − costTransformerFraction), " +
            "blockShare = raw's measured block time over its total (medians over rounds)";
        if (random?.Paper is string paper) report.Provenance["paper"] = paper;
    }

    /// <summary>The table, JSON rows, markdown and the predicted-vs-measured PNG.</summary>
    private static void Write(BenchReport report, IReadOnlyList<EndToEndRow> rows, Dictionary<string, string> planSources, string output)
    {
        if (rows.Count > 0 && rows[0].PartCosts is BlockCosts parts)
            report.Provenance["parts"] = (rows[0].PartsMeasured ? "measured in raw's runs" : "estimated from FLOPs (the parts were not timed)")
                + FormattableString.Invariant($", per (step, layer) in cost-model ms: attention {parts.AttentionMs:0.###}, MLP {parts.MlpMs:0.###}, ")
                + FormattableString.Invariant($"cross-attention {parts.CrossMs:0.###}, rest {parts.OtherMs:0.###}; blocks {rows[0].TransformerShare:P1} ")
                + "of raw's time, the rest outside the blocks (embeddings, final layer, sampler, decoding)";
        var counted = rows.Skip(1).Where(r => !r.AllFull).ToList();
        var same = rows.Where(r => r.AllFull).Select(r => r.Preset).ToList();
        report.Provenance["summary"] = $"{counted.Count(r => r.LatencyFraction <= 0.97)} of {counted.Count} compressed presets at ≤ 0.97 of " +
            "raw's latency; presets whose plan is all full attention are '= raw' and not counted: " +
            (same.Count == 0 ? "none" : string.Join(", ", same));
        foreach (var r in rows)
            report.Add(new()
            {
                ["preset"] = r.Preset, ["plan"] = (r.AllFull ? "= raw, " : "") + planSources.GetValueOrDefault(r.Preset, "none"),
                ["flopsFraction"] = r.FlopsFraction, ["kernelFlopsFraction"] = r.KernelFlopsFraction, ["attentionShare"] = r.AttentionShare,
                ["transformerFlopsFraction"] = r.TransformerFlopsFraction,
                ["flopsPredictedFraction"] = r.PredictedFraction, ["costAttentionFraction"] = r.CostAttentionFraction,
                ["costTransformerFraction"] = r.CostTransformerFraction,
                ["predictedFraction"] = r.CostPredictedFraction, ["latencyFraction"] = r.LatencyFraction, ["savingRatio"] = r.SavingRatio,
                ["attentionLatencyFraction"] = r.AttentionLatencyFraction, ["medianSeconds"] = r.MedianSeconds, ["spreadSeconds"] = r.SpreadSeconds,
                ["fallbacks"] = r.Fallbacks,
            });
        report.Write(output, plot =>
        {
            BenchReport.AddBars(plot, rows, 5, 0, r => r.PredictedFraction, ScottPlot.Colors.Gray, "end to end, predicted by FLOPs");
            BenchReport.AddBars(plot, rows, 5, 1, r => r.CostPredictedFraction ?? 0, ScottPlot.Colors.Gold, "end to end, predicted by costs");
            BenchReport.AddBars(plot, rows, 5, 2, r => r.LatencyFraction, ScottPlot.Colors.OrangeRed, "end to end, measured");
            BenchReport.AddBars(plot, rows, 5, 3, r => r.AttentionLatencyFraction, ScottPlot.Colors.SteelBlue, "attention modules, measured");
            plot.Axes.Bottom.SetTicks(rows.Select((_, i) => i * 5 + 1.5).ToArray(), rows.Select(r => r.Preset + (r.AllFull ? " (= raw)" : ""))
                .ToArray());
            plot.Axes.Left.Label.Text = "latency fraction of raw";
            plot.Axes.Margins(bottom: 0);
            plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        });
    }
}
