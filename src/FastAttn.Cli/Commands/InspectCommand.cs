using System.CommandLine;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Families;
using FastAttn.Engine.Families.DiT;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn inspect PATH</c>: the model's family, what it generates and its defaults; for class-conditional DiT
/// checkpoints also the detected architecture, parameter count, dtype and key check.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A model: a checkpoint file, a model or pipeline folder, or a built-in model name." };
        var heads = new Option<int?>("--heads")
        {
            Description = "Attention heads, when the width is not a reference config's and no config is stored.",
        };
        var family = new Option<string>("--family")
        {
            Description = $"Model family: auto (detect) or {string.Join(", ", ModelFamilyRegistry.Default.Families.Select(f => f.Name))}.",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command("inspect", "Show a model's family, output and defaults (checkpoints: architecture, size, dtype, key check).")
        {
            path,
            heads,
            family,
        };
        command.SetAction(parse =>
        {
            var detected = ModelFamilyRegistry.Default.Detect(parse.GetRequiredValue(path), parse.GetValue(family));
            if (detected is not DiTFamily) return Summary(detected, parse.GetRequiredValue(path));
            var given = parse.GetRequiredValue(path);
            var file = File.Exists(given) || Directory.Exists(given) ? given : Engine.Pipelines.BuiltInModels.TryResolve(given) ?? given;
            var info = DiTCheckpoint.Inspect(file, new DiTLoadOptions { NumHeads = parse.GetValue(heads) });
            var c = info.Config;
            var table = new Table().AddColumn("Property").AddColumn("Value").Border(TableBorder.Rounded);
            table.AddRow("File", Markup.Escape(info.Path));
            table.AddRow("Format", info.Format.ToString());
            table.AddRow("Architecture", Markup.Escape(Describe(c)));
            table.AddRow("Config source", Markup.Escape(info.ConfigSource));
            table.AddRow("Input", $"{c.InputSize}×{c.InputSize}×{c.InChannels}, patch {c.PatchSize} → {c.NumTokens} tokens");
            table.AddRow("Width / depth / heads", $"{c.HiddenSize} / {c.Depth} / {c.NumHeads} (head dim {c.HeadDim})");
            table.AddRow("Classes", $"{c.NumClasses}{(c.HasNullClass ? " + null" : "")}");
            table.AddRow("Output", $"{c.OutChannels} channels{(c.LearnSigma ? " (ε + learned variance)" : " (ε)")}");
            table.AddRow("Conventions", $"{c.Flavor}{(c.PerBlockConditioning ? ", per-block embedders" : "")}");
            table.AddRow("Parameters", $"{info.ParameterCount:N0} ({info.ParameterCount / 1e6:F1} M)");
            table.AddRow("Stored dtype", string.Join(", ", info.StoredDTypes));
            table.AddRow("Key check", info.KeyCheckError is null ? "[green]exact match[/]" : $"[red]{Markup.Escape(info.KeyCheckError)}[/]");
            AnsiConsole.Write(table);
            return info.KeyCheckError is null ? 0 : ExitCodes.BadInput;
        });
        return command;
    }

    /// <summary>Loads the model through its family and shows what the seam says about it.</summary>
    private static int Summary(IModelFamily family, string path)
    {
        using var model = family.Load(path, ModelLoadSettings.For("cpu"));
        var d = model.Defaults;
        var table = new Table().AddColumn("Property").AddColumn("Value").Border(TableBorder.Rounded);
        table.AddRow("Model", Markup.Escape(model.Source));
        table.AddRow("Family", Markup.Escape($"{model.Family} ({family.Expects})"));
        table.AddRow("Generates", $"{model.Output}, conditioned on {model.Conditioning}");
        table.AddRow("Defaults", Markup.Escape($"{d.Steps} {d.Scheduler.Name} steps, guidance {d.GuidanceScale}, " +
            $"{d.NativeSize.Width}x{d.NativeSize.Height}" +
            (d.Frames is int f ? $", {f} frames at {d.Fps} fps" : "")));
        table.AddRow("Sizes", Markup.Escape(d.SizeList));
        table.AddRow("Fingerprint", model.Fingerprint[..16] + "…");
        table.AddRow("Shipped plans", Markup.Escape(model.PlanFolders.Count == 0 ? "none" : string.Join(", ", model.PlanFolders)));
        AnsiConsole.Write(table);
        return ExitCodes.Ok;
    }

    private static string Describe(FastAttn.Engine.Models.DiT.DiTConfig c)
    {
        var known = FastAttn.Engine.Models.DiT.DiTConfigs.Names.FirstOrDefault(n =>
        {
            var k = FastAttn.Engine.Models.DiT.DiTConfigs.Get(n, c.InputSize * 8, c.NumClasses);
            return k.HiddenSize == c.HiddenSize && k.Depth == c.Depth && k.PatchSize == c.PatchSize && k.NumHeads == c.NumHeads;
        });
        return known is null ? $"DiT (custom: D={c.HiddenSize}, depth {c.Depth})" : $"{known} ({c.InputSize * 8}px with an 8× VAE)";
    }
}
