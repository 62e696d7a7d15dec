using System.Runtime.InteropServices;
using System.CommandLine;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Engine.Benchmarks;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn bench</c>: speed measured side by side, as ratios, with table, JSON, markdown and PNG.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var seqs = new Option<int[]>("--seq")
        {
            Description = "Sequence lengths N (comma-separated).",
            DefaultValueFactory = _ => [1024, 4096],
            CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',')).Select(int.Parse).ToArray(),
        };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 16 };
        var headDim = new Option<int>("--head-dim") { Description = "Head width.", DefaultValueFactory = _ => 72 };
        var batch = new Option<int>("--batch") { Description = "Batch (a CFG pair = 2).", DefaultValueFactory = _ => 2 };
        var reps = new Option<int>("--reps") { Description = "Interleaved repetitions (median reported).", DefaultValueFactory = _ => 5 };
        var window = new Option<int?>("--window") { Description = "Window half-width w (default N/8)." };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Output base path (writes .json, .md, .png).",
            DefaultValueFactory = _ => "bench/attention",
        };
        var attention = new Command("attention", "Attention variants vs fused full attention: FLOPs and latency fractions (paper Table 2).")
        {
            seqs, heads, headDim, batch, reps, window, output,
        };
        attention.SetAction(async (parse, cancellationToken) =>
        {
            var report = new BenchReport("DiTFastAttn attention: fractions of full attention",
                ["method", "level", "seq", "flopsFraction", "latencyFraction", "latencyPerFlops", "medianMs", "spreadMs", "default", "costModelMs"]);
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}";
            report.Provenance["threads"] = torch.get_num_threads();
            report.Provenance["shape"] = $"batch {parse.GetValue(batch)}, {parse.GetValue(heads)} heads × {parse.GetValue(headDim)}, fp32 CPU";
            report.Provenance["window"] = parse.GetValue(window) is int w ? $"w = {w}" : "w = N/8 (block band: r = 1)";
            report.Provenance["baseline"] = "TorchSharp scaled_dot_product_attention (fused), same shapes/batch/threads, interleaved";
            report.Provenance["flops"] = "window methods counted on the exact (query, key) pairs of the window (no credit for padding)";
            report.Provenance["latencyPerFlops"] = "latencyFraction ÷ flopsFraction: time per useful FLOP vs full attention (1 = as efficient)";
            using var loggers = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var model = new MeasuredCostModel(logger: loggers.CreateLogger("FastAttn.CostModel"));
            report.Provenance["costModel"] = $"measured once per shape, cached in {model.Directory}; default = its fastest window implementation";
            var rows = new List<AttentionBenchRow>();
            var costs = new Dictionary<(int, WindowSemantics), AttentionCosts>();
            var modelTimes = new List<string>();
            foreach (var n in parse.GetValue(seqs)!)
            {
                var measured = await Task.Run(() => AttentionBenchmark.Run(n, parse.GetValue(heads), parse.GetValue(headDim), parse.GetValue(batch),
                    parse.GetValue(reps), parse.GetValue(window), new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken),
                        cancellationToken);
                rows.AddRange(measured);
                foreach (var semantics in new[] { WindowSemantics.BlockBand, WindowSemantics.TokenBand })
                {
                    var shape = new AttentionShape(n, parse.GetValue(heads), parse.GetValue(headDim), parse.GetValue(batch), semantics,
                        parse.GetValue(window));
                    var c = await Task.Run(() => model.CostsFor(shape, cancellationToken), cancellationToken);
                    costs[(n, semantics)] = c;
                    modelTimes.Add($"{shape}: {(c.MeasuredSeconds > 0 ? $"{c.MeasuredSeconds:F1} s" : "cached")}");
                    Console.Error.WriteLine($"cost model {modelTimes[^1]}, default window {c.DefaultWindow.ToShortName()}");
                }
            }
            report.Provenance["costModelTime"] = string.Join("; ", modelTimes);
            foreach (var r in rows)
            {
                var c = costs[(r.Seq, r.Semantics ?? WindowSemantics.BlockBand)];
                double? modelMs = r switch
                {
                    { Implementation: { } impl } => c.WindowKernelMs.TryGetValue(impl, out var ms) ? ms : null,
                    { ModuleMethod: { } method } => c.ModuleMs(method, r.Refresh),
                    _ => c.FullKernelMs,
                };
                report.Add(new() { ["method"] = r.Method, ["level"] = r.Level, ["seq"] = r.Seq, ["flopsFraction"] = r.FlopsFraction,
                    ["latencyFraction"] = r.LatencyFraction, ["latencyPerFlops"] = r.LatencyPerFlops, ["medianMs"] = r.MedianMs,
                    ["spreadMs"] = r.SpreadMs,
                    ["default"] = r.Implementation is { } i && i == c.DefaultWindow, ["costModelMs"] = modelMs });
            }
            report.Write(parse.GetValue(output)!, plot =>
            {
                var labels = rows.Select(r => $"{r.Method}/{r.Level[0]} N={r.Seq}").ToArray();
                BenchReport.AddBars(plot, rows, 3, 0, r => r.FlopsFraction, ScottPlot.Colors.SteelBlue, "FLOPs fraction");
                BenchReport.AddBars(plot, rows, 3, 1, r => r.LatencyFraction, ScottPlot.Colors.OrangeRed, "latency fraction");
                plot.Axes.Bottom.SetTicks(rows.Select((_, i) => i * 3 + 0.5).ToArray(), labels);
                plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
                plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
                plot.Axes.Bottom.MinimumSize = 140;
                plot.Axes.Margins(bottom: 0);
                plot.ShowLegend();
            });
            return ExitCodes.Ok;
        });
        return new Command("bench", "Benchmarks: speed as ratios measured side by side.") { attention, BenchEndToEndCommand.Create(),
            BenchSearchCommand.Create(), BenchEncoderCommand.Create(), BenchClusterCommand.Create(), BenchServeCommand.Create(),
            BenchSoakCommand.Create() };
    }
}
