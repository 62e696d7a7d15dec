using System.CommandLine;
using FastAttn.Engine.Checkpoints;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn inspect PATH</c>: detected architecture, parameter count, dtype and key check of a checkpoint.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A DiT checkpoint: .pt, .safetensors, or a diffusers model/pipeline folder." };
        var heads = new Option<int?>("--heads") { Description = "Attention heads, when the width is not a reference config's and no config is stored." };
        var command = new Command("inspect", "Show a checkpoint's architecture, size, dtype and whether its keys match exactly.") { path, heads };
        command.SetAction(parse =>
        {
            var info = DiTCheckpoint.Inspect(parse.GetRequiredValue(path), new DiTLoadOptions { NumHeads = parse.GetValue(heads) });
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
