using System.CommandLine;
using System.Globalization;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Imaging;
using Spectre.Console;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn plan show</c>: a plan's method counts, FLOPs fractions and a layers × steps heatmap.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("plan") { Description = "A plan JSON file." };
        var png = new Option<string?>("--png") { Description = "Write a layers × steps heatmap PNG (like the paper's Fig. 5)." };
        var show = new Command("show", "Show a plan: method counts, FLOPs fractions, heatmap.") { path, png };
        show.SetAction(parse =>
        {
            var plan = PlanSerializer.Load(parse.GetRequiredValue(path));
            Print(plan);
            if (parse.GetValue(png) is string file)
            {
                AtomicFile.WriteAllBytes(file, PlanHeatmap.ToPng(plan));
                var order = string.Join(", ", PlanHeatmap.Colors.Keys.Select(m => m.ToShortName()));
                var colours = string.Join(", ", PlanHeatmap.Colors.Select(kv =>
                    $"{kv.Key.ToShortName()}=#{kv.Value.R:X2}{kv.Value.G:X2}{kv.Value.B:X2}"));
                AnsiConsole.MarkupLine($"Heatmap: [bold]{Markup.Escape(Path.GetFullPath(file))}[/] " +
                    $"(rows: layers 0→{plan.Layers - 1} top to bottom; " +
                    $"columns: steps; legend strip on top in this order: {order}; colours {colours}).");
                if (plan.Blocks is not null)
                    AnsiConsole.MarkupLine("Block methods: the second panel below, its legend strip under the first: " + string.Join(", ",
                        PlanHeatmap.BlockColors.Select(kv => $"{kv.Key.ToShortName()}=#{kv.Value.R:X2}{kv.Value.G:X2}{kv.Value.B:X2}")) + ".");
            }
            return ExitCodes.Ok;
        });
        return new Command("plan", "Work with DiTFastAttn compression plans.") { show, PlanImportCommand.Create() };
    }

    public static void Print(CompressionPlan plan)
    {
        var k = plan.Key;
        var table = new Table().AddColumn("Plan").AddColumn("").Border(TableBorder.Rounded);
        var kind = k.IsVideo ? Engine.Generation.OutputKind.Video : Engine.Generation.OutputKind.Image;
        var preset = CompressionPresets.NameOf(k.Threshold, kind, k.SearchScope, k.Metric) is string n ? $" ({n})" : "";
        table.AddRow("Threshold δ", $"{k.Threshold.ToString("0.####", CultureInfo.InvariantCulture)}{preset}");
        table.AddRow("Model", k.ModelFingerprint[..16] + "…");
        table.AddRow("Sampling", $"{k.Steps} {k.Scheduler} steps, guidance {k.GuidanceScale.ToString(CultureInfo.InvariantCulture)}, latent " +
            $"{k.LatentShape}");
        var blocks = k.Window.Semantics == WindowSemantics.BlockBand ? $" (blocks of {k.Window.BlockSize}, radius {k.Window.BlockRadius})" : "";
        table.AddRow("Window", $"{k.Window.Semantics}, w = {k.Window.HalfWidth}{blocks}");
        table.AddRow("Calibration", Markup.Escape(k.Calibration));
        var search = $"metric {k.Metric}, order {k.CandidateOrder}" + (k.DeviceKind is string device ? $" (searched for {device})" : "")
            + $", scope {k.SearchScope}" + (k.BlockForecast ? " (forecast)" : "") + (k.IsVideo ? $", target {k.Target}" : "");
        table.AddRow("Search", Markup.Escape(search));
        int total = plan.Methods.Length * plan.Layers;
        foreach (var (method, count) in plan.Counts().Where(kv => kv.Value > 0))
            table.AddRow($"  {method.ToShortName()}", $"{count} ({100.0 * count / total:F1}%)");
        if (plan.Blocks is not null)
            foreach (var (method, count) in plan.BlockCounts().Where(kv => kv.Value > 0))
                table.AddRow($"  block {method.ToShortName()}", $"{count} ({100.0 * count / total:F1}%)");
        if (plan.Flops is FlopsFractions f)
        {
            table.AddRow("Attention FLOPs (module)", $"[bold]{f.ModuleFraction:P1}[/]");
            table.AddRow("Attention FLOPs (QKᵀ/AV)", $"{f.KernelFraction:P1}");
            table.AddRow("Transformer FLOPs", $"[bold]{f.TransformerFraction:P1}[/]");
        }
        if (plan.TransformerFlops is var (planFlops, fullFlops))
        {
            var part = planFlops.FractionOf(fullFlops);
            table.AddRow("  per part (of full)", Parts(fullFlops, part, 1));
            table.AddRow("  share of full FLOPs", Parts(fullFlops, fullFlops, fullFlops.Total));
        }
        if (plan.Search?.PredictedAttentionTimeFraction is double time)
            table.AddRow("Attention time (predicted)", $"[bold]{time:P1}[/] of full, under the {k.DeviceKind} costs the search measured");
        if (plan.Shape is PlanModelShape shape)
        {
            var memory = PlanMemory.ByKind(plan, 1, shape.Tokens, shape.Hidden);
            table.AddRow("Cache memory (per image, fp32)", $"{memory.Total / 1048576.0:F2} MiB peak");
            table.AddRow("  per kind (own peak)", $"AST {Mib(memory.AttentionOutput)}, WA-RS {Mib(memory.WindowResidual)}" +
                (plan.Blocks is null ? "" : $", MLP share {Mib(memory.Mlp)}, block reuse/forecast {Mib(memory.Block)}") +
                (memory.CrossAttention > 0 ? $", cross-attention share {Mib(memory.CrossAttention)}" : ""));
        }
        if (plan.Search is PlanSearchReport s)
            table.AddRow("Search cost", $"{s.ForwardEquivalents:F1} forward-equivalents, " +
                $"{s.Seconds:F1}s{(s.PrefixReuse ? " (prefix reuse)" : " (plain)")}");
        AnsiConsole.Write(table);
    }

    /// <summary>
    /// "self-attention x (a video's: spatial attention), temporal attention x, cross-attention x, MLP x, adaLN/other x": each part
    /// of <paramref name="values"/> over <paramref name="over"/>; the temporal and cross-attention only where <paramref name="full"/>
    /// has them.
    /// </summary>
    private static string Parts(TransformerFlops full, TransformerFlops values, double over)
    {
        var parts = new List<string> { $"{(full.TemporalAttention > 0 ? "spatial attention" : "self-attention")} {values.SelfAttention / over:P1}" };
        if (full.TemporalAttention > 0) parts.Add($"temporal attention {values.TemporalAttention / over:P1}");
        if (full.CrossAttention > 0) parts.Add($"cross-attention {values.CrossAttention / over:P1}");
        parts.Add($"MLP {values.Mlp / over:P1}");
        parts.Add($"adaLN/other {values.Other / over:P1}");
        return string.Join(", ", parts);
    }

    private static string Mib(long bytes) => $"{bytes / 1048576.0:F2} MiB";
}
