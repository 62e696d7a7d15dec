using System.CommandLine;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn plan import</c> (alias <c>import-xdit</c>): an xDiT plan JSON, or the official DiTFastAttn repository's plan
/// cache (a torch.save pickle read as plain data only), with the metadata they lack given on the command line.
/// </summary>
internal static class PlanImportCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var file = new Argument<string>("plan-file")
        {
            Description = "xDiT plan JSON ({\"block0\": {\"step0\": \"FULL_ATTN\", …}}) or a DiTFastAttn cache file (torch.save).",
        };
        var threshold = new Option<double>("--threshold") { Description = "The δ the plan was searched with.", Required = true };
        var calibration = new Option<string>("--calibration-name")
        {
            Description = "Description of its calibration set.",
            DefaultValueFactory = _ => "xdit",
        };
        var output = new Option<string?>("--out", "-o") { Description = "Also write the imported plan here." };
        var command = new Command("import", "Import an xDiT or DiTFastAttn plan for a model and sampling settings.")
        {
            file,
            threshold,
            calibration,
            output,
        };
        command.Aliases.Add("import-xdit");
        foreach (var o in common.Sampling.Concat(common.Planning)) command.Options.Add(o);
        command.SetAction(parse =>
        {
            using var model = common.Load(parse);
            var generation = model.Prepare(common.Request(parse, model) with { Prompt = PlanSearchNames.SamplePrompt(model) });
            var shape = generation.AttentionShape ?? throw new
                NotSupportedException($"The {model.Family} family gives no attention shape to import a plan onto.");
            var key = generation.PlanKey(parse.GetValue(threshold), common.SearchSettings(parse)) with { Calibration = parse.GetValue(calibration)! };
            var imported = XDiTPlanImporter.ImportAny(parse.GetRequiredValue(file), key);
            if (imported.Layers != shape.Layers) throw new
                InvalidDataException($"The imported plan has {imported.Layers} blocks; the model has {shape.Layers}.");
            var plan = new CompressionPlan(key, imported.Methods, shape: new PlanModelShape(shape.Tokens, shape.Hidden));
            var cached = new PlanDirectory(common.PlanDirectory(parse)).Save(plan);
            if (parse.GetValue(output) is string path) PlanSerializer.Save(plan, path);
            PlanCommand.Print(plan);
            AnsiConsole.MarkupLine($"Imported plan cached at [bold]{Markup.Escape(cached)}[/].");
            return ExitCodes.Ok;
        });
        return command;
    }
}
