using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Conditioning;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn generate</c>: class-conditional images from a DiT, optionally compressed with a DiTFastAttn plan.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var classes = new Option<string[]>("--class", "-c") { Description = "Class id or name (repeatable), e.g. 207 or \"golden retriever\".", AllowMultipleArgumentsPerToken = true };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "A prompt naming the class, e.g. \"a handwritten seven\" (digit models) or \"golden retriever\"." };
        var count = new Option<int>("--count", "-n") { Description = "Images per class.", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Seed of the first image; image i uses seed + i.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "Output PNG (several images: name-0.png, name-1.png, …).", DefaultValueFactory = _ => "out.png" };
        var plan = new Option<string?>("--plan") { Description = "A DiTFastAttn plan file (from fastattn search)." };
        var preset = new Option<string?>("--preset") { Description = "Quality preset D1..D6 (or raw): uses the cached plan for these settings." };
        var threshold = new Option<double?>("--threshold") { Description = "Custom threshold δ: uses the cached plan for it." };
        var search = new Option<bool>("--search") { Description = "With --preset/--threshold: search the plan now when none is cached." };
        var negative = new Option<string>("--negative") { Description = "Text-to-image models: the negative prompt.", DefaultValueFactory = _ => "" };
        var encoderDType = new Option<string>("--encoder-dtype") { Description = "Text-to-image models: T5 weight dtype, bf16 (default: half the memory, fp32 arithmetic) or fp32.", DefaultValueFactory = _ => "bf16" };
        var rawCaption = new Option<bool>("--raw-caption") { Description = "Text-to-image models: skip the reference's caption cleaning (prompts are only lower-cased and trimmed)." };
        var command = new Command("generate", "Generate images: class-conditional with a DiT (optionally with DiTFastAttn), or text-to-image with a PixArt pipeline folder.")
        {
            classes, prompt, count, seed, output, plan, preset, threshold, search, negative, encoderDType, rawCaption,
        };
        foreach (var o in common.Sampling.Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (PixArtPipelineFolder.IsPixArtFolder(parse.GetValue(common.Model)!))
            {
                var encoder = CommonOptions.WeightDType(parse.GetValue(encoderDType)!, "--encoder-dtype");
                return await GenerateTextToImageAsync(parse, common, parse.GetValue(prompt), parse.GetValue(negative)!, parse.GetValue(count),
                    parse.GetValue(seed), parse.GetValue(output)!, encoder, (parse.GetValue(plan), parse.GetValue(preset), parse.GetValue(threshold), parse.GetValue(search)),
                    !parse.GetValue(rawCaption), cancellationToken);
            }
            var load = Stopwatch.StartNew();
            using var loaded = common.Load(parse);
            load.Stop();
            var schedulerFactory = common.SchedulerFor(parse, loaded);
            var requested = (parse.GetValue(classes) ?? []).Select(loaded.Labels.Resolve).ToList();
            if (parse.GetValue(prompt) is string text) requested.Add(PromptClasses.Resolve(loaded.Labels, text));
            if (requested.Count == 0) throw new ArgumentException("Say what to draw: --class ID|NAME or --prompt TEXT.");
            var labels = requested.SelectMany(c => Enumerable.Repeat(c, parse.GetValue(count))).ToArray();
            int latent = common.LatentSize(parse, loaded);
            var request = new DiTGenerationRequest
            {
                ClassLabels = labels,
                Seeds = [parse.GetValue(seed)],
                Steps = common.StepsFor(parse, loaded),
                Scheduler = schedulerFactory,
                GuidanceScale = common.CfgFor(parse, loaded),
                GuidedChannels = common.Guidance(parse),
                Size = latent,
            };
            var (compression, planSource) = await ResolvePlanAsync(parse, common, loaded, request, parse.GetValue(plan), parse.GetValue(preset),
                parse.GetValue(threshold), parse.GetValue(search), cancellationToken);
            request = request with { Plan = compression };
            var result = await ConsoleProgress.RunAsync($"{labels.Length} image(s), {request.Steps} {schedulerFactory.Name} steps",
                request.Steps, progress => loaded.Pipeline.Generate(request, progress, cancellationToken), cancellationToken);
            using (result)
            {
                var paths = OutputPaths(parse.GetValue(output)!, labels.Length);
                for (int i = 0; i < labels.Length; i++)
                {
                    using var image = result.Images[i];
                    ImageTensorConverter.SavePng(image, paths[i]);
                }
                var table = new Table().AddColumn("Image").AddColumn("Class").AddColumn("Seed").Border(TableBorder.Rounded);
                for (int i = 0; i < labels.Length; i++)
                    table.AddRow(Markup.Escape(Path.GetFullPath(paths[i])), Markup.Escape(PromptClasses.Describe(loaded.Labels, labels[i])), result.Seeds[i].ToString(CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLine($"Loaded in {load.Elapsed.TotalSeconds:F1}s, generated in {result.Elapsed.TotalSeconds:F1}s; attention: {Describe(compression, planSource, result.AttentionFallbacks)}.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Text to image with a PixArt pipeline folder.</summary>
    private static async Task<int> GenerateTextToImageAsync(ParseResult parse, CommonOptions common, string? prompt, string negative, int count, long seed,
        string output, TorchSharp.torch.ScalarType encoderDType, (string? File, string? Preset, double? Threshold, bool Search) plan, bool cleanCaption,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(prompt)) throw new ArgumentException("Say what to draw: --prompt TEXT.");
        if (count < 1) throw new ArgumentException($"--count must be at least 1; got {count}.");
        var load = Stopwatch.StartNew();
        var device = Engine.Runtime.DeviceSelector.Resolve(Engine.Runtime.DeviceSelector.Parse(parse.GetValue(common.Device)!));
        using var pipeline = PixArtPipelineFolder.Load(parse.GetValue(common.Model)!, device, Engine.Runtime.DeviceSelector.DefaultDType(device), encoderDType);
        load.Stop();
        var size = common.PixelSize(parse);
        var request = new PixArtGenerationRequest
        {
            Prompts = Enumerable.Repeat(prompt, count).ToArray(),
            NegativePrompt = negative,
            CleanCaption = cleanCaption,
            Seeds = [seed],
            Steps = parse.GetValue(common.Steps) ?? 20,
            Scheduler = parse.GetValue(common.Scheduler) is string name ? SchedulerRegistry.Get(name) : null,
            GuidanceScale = parse.GetValue(common.Cfg) ?? 4.5,
            Width = size?.Width,
            Height = size?.Height,
        };
        var (compression, planSource) = await TextToImagePlans.ResolveAsync(parse, common, pipeline, request, plan.File, plan.Preset, plan.Threshold, plan.Search,
            cancellationToken);
        request = request with { Plan = compression };
        var result = await ConsoleProgress.RunAsync($"{count} image(s), {request.Steps} {(request.Scheduler ?? pipeline.Scheduler).Name} steps",
            request.Steps, progress => pipeline.Generate(request, progress, cancellationToken), cancellationToken);
        using (result)
        {
            var paths = OutputPaths(output, count);
            var table = new Table().AddColumn("Image").AddColumn("Prompt").AddColumn("Seed").Border(TableBorder.Rounded);
            for (int i = 0; i < count; i++)
            {
                using var image = result.Images[i];
                ImageTensorConverter.SavePng(image, paths[i]);
                table.AddRow(Markup.Escape(Path.GetFullPath(paths[i])), Markup.Escape(prompt), result.Seeds[i].ToString(CultureInfo.InvariantCulture));
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Loaded in {load.Elapsed.TotalSeconds:F1}s, generated in {result.Elapsed.TotalSeconds:F1}s; attention: {Describe(compression, planSource, result.AttentionFallbacks)}.");
        }
        return ExitCodes.Ok;
    }

    /// <summary>The plan for a DiT generation (see <see cref="PlanResolution"/>).</summary>
    private static Task<(CompressionPlan? Plan, string Source)> ResolvePlanAsync(ParseResult parse, CommonOptions common, LoadedDiT loaded,
        DiTGenerationRequest request, string? planFile, string? preset, double? threshold, bool searchIfMissing, CancellationToken cancellationToken) =>
        PlanResolution.ResolveAsync(planFile, preset, threshold, searchIfMissing,
            delta => PlanLookup.SearchOptions(loaded.Pipeline, request, delta, common.WindowFor(parse, loaded, request.Size!.Value),
                parse.GetValue(common.Calibration), parse.GetValue(common.CalibrationSeed), common.MetricFor(parse, loaded)),
            options => PlanLookup.KeyFor(loaded.Pipeline, options), common.PlanSearchPath(parse, loaded), common.PlanDirectory(parse),
            (options, progress) => new GreedyPlanSearch(loaded.Pipeline).Search(options, progress, cancellationToken), cancellationToken);

    /// <summary>What attention a generation ran: the plan, its attention FLOPs and fallbacks, or full.</summary>
    private static string Describe(CompressionPlan? plan, string source, int fallbacks) => plan?.Flops is FlopsFractions f
        ? $"DiTFastAttn plan {Markup.Escape(source)}, attention FLOPs {f.ModuleFraction:P1} of full (QKᵀ/AV {f.KernelFraction:P1}), {fallbacks} fallbacks"
        : plan is not null ? $"DiTFastAttn plan {Markup.Escape(source)}" : "full (uncompressed)";

    internal static string[] OutputPaths(string output, int count)
    {
        if (count == 1) return [output];
        var dir = Path.GetDirectoryName(output) ?? "";
        var name = Path.GetFileNameWithoutExtension(output);
        var ext = Path.GetExtension(output);
        return Enumerable.Range(0, count).Select(i => Path.Combine(dir, $"{name}-{i}{(ext.Length == 0 ? ".png" : ext)}")).ToArray();
    }
}
