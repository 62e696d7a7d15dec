using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastAttn.Engine.Generation;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn generate</c>: images from any image model (a class or a text prompt), optionally with a DiTFastAttn plan.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var plans = new PlanFlags("D1..D6");
        var classes = new Option<string[]>("--class", "-c")
        {
            Description = "Class-conditional models: class id or name (repeatable), e.g. 207 or \"golden retriever\".",
                AllowMultipleArgumentsPerToken = true,
        };
        var prompt = new Option<string?>("--prompt", "-p")
        {
            Description = "What to draw: a description (text-conditioned models) or a prompt naming the class (\"a handwritten seven\", \"golden " +
                "retriever\").",
        };
        var count = new Option<int>("--count", "-n") { Description = "Images per class or prompt.", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Seed of the first image; image i uses seed + i.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output PNG (several images: name-0.png, name-1.png, …).",
            DefaultValueFactory = _ => "out.png",
        };
        var negative = new Option<string>("--negative")
        {
            Description = "Text-conditioned models: the negative prompt.",
            DefaultValueFactory = _ => "",
        };
        var rawCaption = new Option<bool>("--raw-caption")
        {
            Description = "Text-conditioned models: skip the reference's caption cleaning (prompts are only lower-cased and trimmed).",
        };
        var command = new Command("generate",
            "Generate images with any image model (class-conditional or text to image), optionally with DiTFastAttn.")
        {
            classes, prompt, count, seed, output, negative, rawCaption,
        };
        foreach (var o in plans.All.Concat(common.Sampling).Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var subjects = (parse.GetValue(classes) ?? []).Concat(parse.GetValue(prompt) is string p ? [p] : []).ToList();
            if (subjects.Count == 0) throw new ArgumentException("Say what to draw: --class ID|NAME or --prompt TEXT.");
            var load = Stopwatch.StartNew();
            using var model = common.Load(parse);
            load.Stop();
            if (model.Output != OutputKind.Image)
                throw new ArgumentException($"'{model.Source}' is a {model.Family} video model: use `fastattn generate-video`.");
            int n = parse.GetValue(count);
            var baseRequest = plans.Apply(parse, common.Request(parse, model) with
            {
                Count = n,
                NegativePrompt = parse.GetValue(negative) is { Length: > 0 } text ? text : null,
                CleanCaption = !parse.GetValue(rawCaption),
            });
            var generations = subjects.Select((s, k) => model.Prepare(baseRequest with { Prompt = s, Seed = parse.GetValue(seed) + k * n })).ToList();
            var first = generations[0];
            var plan = await PlanFlags.ResolveAsync(common.Resolver(parse, cancellationToken), model, first, parse.GetValue(plans.Search),
                null, common.PlanDirectory(parse), cancellationToken);
            var paths = OutputPaths(parse.GetValue(output)!, n * generations.Count);
            var table = new Table().AddColumn("Image").AddColumn("Subject").AddColumn("Seed").Border(TableBorder.Rounded);
            double seconds = 0;
            int fallbacks = 0;
            foreach (var (generation, k) in generations.Select((g, k) => (g, k)))
            {
                using var result = await ConsoleProgress.RunAsync($"{n} image(s), {generation.Settings}", generation.Steps,
                    progress => generation.Run(plan?.Plan, progress, cancellationToken), cancellationToken);
                seconds += result.Elapsed.TotalSeconds;
                fallbacks += result.AttentionFallbacks;
                for (int i = 0; i < result.Count; i++)
                {
                    var path = paths[k * n + i];
                    result.Save(i, path);
                    table.AddRow(Markup.Escape(Path.GetFullPath(path)), Markup.Escape(generation.Subject),
                        result.Seeds[i].ToString(CultureInfo.InvariantCulture));
                }
                if (generation.ResizeNote is string note) AnsiConsole.MarkupLine(Markup.Escape(note));
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Loaded in {load.Elapsed.TotalSeconds:F1}s, generated in {seconds:F1}s; attention: " +
                $"{PlanFlags.Describe(plan, parse.GetValue(plans.Plan))}{(plan is null ? "" : $", {fallbacks} fallbacks")}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static string[] OutputPaths(string output, int count)
    {
        if (count == 1) return [output];
        var dir = Path.GetDirectoryName(output) ?? "";
        var name = Path.GetFileNameWithoutExtension(output);
        var ext = Path.GetExtension(output);
        return Enumerable.Range(0, count).Select(i => Path.Combine(dir, $"{name}-{i}{(ext.Length == 0 ? ".png" : ext)}")).ToArray();
    }
}
