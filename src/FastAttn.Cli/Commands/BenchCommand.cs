using System.CommandLine;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Benchmarks;
using Spectre.Console;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary><c>fastattn bench</c>: speed measured side by side, as ratios, with table, JSON, markdown and PNG.</summary>
internal static class BenchCommand
{
    /// <summary><c>bench search</c>: plan-search cost, plain vs prefix reuse, same plan required.</summary>
    private static Command CreateSearch()
    {
        var model = new Option<string?>("--model") { Description = "A DiT checkpoint or built-in model name, e.g. tiny-mnist (default: a random-weight DiT of --depth/--hidden)." };
        var depth = new Option<int>("--depth") { Description = "Layers of the random DiT.", DefaultValueFactory = _ => 28 };
        var hidden = new Option<int>("--hidden") { Description = "Width of the random DiT.", DefaultValueFactory = _ => 64 };
        var size = new Option<int>("--input-size") { Description = "Input side of the random DiT (patch 2).", DefaultValueFactory = _ => 16 };
        var presets = new Option<string>("--presets") { Description = "Presets to search.", DefaultValueFactory = _ => "D1,D6" };
        var steps = new Option<int?>("--steps") { Description = "Denoising steps (default: the model's; 10 for random weights)." };
        var calib = new Option<int>("--calib") { Description = "Calibration samples.", DefaultValueFactory = _ => 4 };
        var output = new Option<string>("--out", "-o") { Description = "Output base path.", DefaultValueFactory = _ => "bench/search" };
        var command = new Command("search", "Plan-search cost: plain vs prefix reuse (forward-equivalents and wall time; the plans must be equal).")
        {
            model, depth, hidden, size, presets, steps, calib, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            FastAttn.Engine.Pipelines.LoadedDiT? loaded = null;
            FastAttn.Engine.Models.DiT.DiTModel? random = null;
            try
            {
                FastAttn.Engine.Pipelines.DiTPipeline pipeline;
                FastAttn.Engine.Sampling.IDiffusionSchedulerFactory scheduler;
                int stepCount;
                double guidance;
                var metric = FastAttn.Engine.Compression.SearchMetric.RawOutput;
                string source;
                if (parse.GetValue(model) is string path)
                {
                    loaded = FastAttn.Engine.Pipelines.DiTModelFolder.Load(path);
                    pipeline = loaded.Pipeline;
                    scheduler = loaded.Defaults.CreateScheduler(null);
                    stepCount = parse.GetValue(steps) ?? loaded.Defaults.Steps;
                    guidance = loaded.Defaults.GuidanceScale;
                    metric = loaded.Defaults.SearchMetric;
                    source = $"{loaded.TransformerPath} (real weights, depth {pipeline.Transformer.Config.Depth})";
                }
                else
                {
                    int width = parse.GetValue(hidden);
                    random = RandomWeights.DiT(new FastAttn.Engine.Models.DiT.DiTConfig(parse.GetValue(size), 2, 4, width, parse.GetValue(depth), Math.Max(1, width / 32), 10, LearnSigma: true));
                    pipeline = new FastAttn.Engine.Pipelines.DiTPipeline(random, null);
                    scheduler = FastAttn.Engine.Sampling.SchedulerRegistry.Get("ddim");
                    stepCount = parse.GetValue(steps) ?? 10;
                    guidance = 4.0;
                    source = $"random weights, depth {parse.GetValue(depth)}, width {parse.GetValue(hidden)}, {parse.GetValue(size)}² input, patch 2";
                }
                var search = new FastAttn.Engine.Compression.GreedyPlanSearch(pipeline);
                var report = new BenchReport("Plan search cost: prefix reuse vs plain", ["preset", "method", "forwardEquivalents", "seconds", "costFraction", "timeFraction", "samePlan"]);
                report.Provenance["model"] = source;
                report.Provenance["search"] = $"{stepCount} {scheduler.Name} steps, guidance {guidance}, {parse.GetValue(calib)} calibration samples, {FastAttn.Engine.Pipelines.SamplingDefaults.MetricName(metric)} metric";
                var rows = new List<(string Preset, double Plain, double Reuse, double PlainS, double ReuseS)>();
                foreach (var preset in parse.GetValue(presets)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var options = new FastAttn.Engine.Compression.PlanSearchOptions
                    {
                        Threshold = FastAttn.Engine.Compression.CompressionPresets.Threshold(preset),
                        Steps = stepCount,
                        Scheduler = scheduler,
                        GuidanceScale = guidance,
                        CalibrationCount = parse.GetValue(calib),
                        Metric = metric,
                    };
                    Console.Error.WriteLine($"Searching {preset}: plain, then prefix reuse ...");
                    var plain = await Task.Run(() => search.Search(options with { PrefixReuse = false }, cancellationToken: cancellationToken), cancellationToken);
                    var reuse = await Task.Run(() => search.Search(options with { PrefixReuse = true }, cancellationToken: cancellationToken), cancellationToken);
                    bool same = plain.Methods.Zip(reuse.Methods).All(p => p.First.SequenceEqual(p.Second));
                    var (p, r) = (plain.Search!, reuse.Search!);
                    report.Add(new() { ["preset"] = preset, ["method"] = "plain", ["forwardEquivalents"] = p.ForwardEquivalents, ["seconds"] = p.Seconds, ["costFraction"] = 1.0, ["timeFraction"] = 1.0, ["samePlan"] = true });
                    report.Add(new() { ["preset"] = preset, ["method"] = "prefix-reuse", ["forwardEquivalents"] = r.ForwardEquivalents, ["seconds"] = r.Seconds,
                        ["costFraction"] = r.ForwardEquivalents / p.ForwardEquivalents, ["timeFraction"] = r.Seconds / p.Seconds, ["samePlan"] = same });
                    rows.Add((preset, p.ForwardEquivalents, r.ForwardEquivalents, p.Seconds, r.Seconds));
                    if (!same) throw new InvalidOperationException($"Prefix reuse found another plan than the plain search for {preset}.");
                }
                report.Write(parse.GetValue(output)!, plot =>
                {
                    var plainBars = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * 3, Value = r.Plain, FillColor = ScottPlot.Colors.Gray }).ToArray());
                    var reuseBars = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * 3 + 1, Value = r.Reuse, FillColor = ScottPlot.Colors.SteelBlue }).ToArray());
                    plainBars.LegendText = "plain (forward-equivalents)";
                    reuseBars.LegendText = "prefix reuse";
                    plot.Axes.Bottom.SetTicks(rows.Select((_, i) => i * 3 + 0.5).ToArray(), rows.Select(r => r.Preset).ToArray());
                    plot.ShowLegend();
                });
                return ExitCodes.Ok;
            }
            finally
            {
                loaded?.Dispose();
                random?.Dispose();
            }
        });
        return command;
    }

    public static Command Create()
    {
        var seqs = new Option<int[]>("--seq") { Description = "Sequence lengths N (comma-separated).", DefaultValueFactory = _ => [1024, 4096], CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',')).Select(int.Parse).ToArray() };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 16 };
        var headDim = new Option<int>("--head-dim") { Description = "Head width.", DefaultValueFactory = _ => 72 };
        var batch = new Option<int>("--batch") { Description = "Batch (a CFG pair = 2).", DefaultValueFactory = _ => 2 };
        var reps = new Option<int>("--reps") { Description = "Interleaved repetitions (median reported).", DefaultValueFactory = _ => 5 };
        var window = new Option<int?>("--window") { Description = "Window half-width w (default N/8)." };
        var output = new Option<string>("--out", "-o") { Description = "Output base path (writes .json, .md, .png).", DefaultValueFactory = _ => "bench/attention" };
        var attention = new Command("attention", "Attention variants vs fused full attention: FLOPs and latency fractions (paper Table 2).")
        {
            seqs, heads, headDim, batch, reps, window, output,
        };
        attention.SetAction(async (parse, cancellationToken) =>
        {
            var report = new BenchReport("DiTFastAttn attention: fractions of full attention",
                ["method", "level", "seq", "flopsFraction", "latencyFraction", "ratio", "medianMs", "spreadMs"]);
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
            report.Provenance["threads"] = torch.get_num_threads();
            report.Provenance["shape"] = $"batch {parse.GetValue(batch)}, {parse.GetValue(heads)} heads × {parse.GetValue(headDim)}, fp32 CPU";
            report.Provenance["window"] = parse.GetValue(window) is int w ? $"w = {w}" : "w = N/8 (block band: r = 1)";
            report.Provenance["baseline"] = "TorchSharp scaled_dot_product_attention (fused), same shapes/batch/threads, interleaved";
            var rows = new List<AttentionBenchRow>();
            foreach (var n in parse.GetValue(seqs)!)
            {
                var measured = await Task.Run(() => AttentionBenchmark.Run(n, parse.GetValue(heads), parse.GetValue(headDim), parse.GetValue(batch),
                    parse.GetValue(reps), parse.GetValue(window), new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken), cancellationToken);
                rows.AddRange(measured);
            }
            foreach (var r in rows)
                report.Add(new() { ["method"] = r.Method, ["level"] = r.Level, ["seq"] = r.Seq, ["flopsFraction"] = r.FlopsFraction, ["latencyFraction"] = r.LatencyFraction, ["ratio"] = r.Ratio, ["medianMs"] = r.MedianMs, ["spreadMs"] = r.SpreadMs });
            report.Write(parse.GetValue(output)!, plot =>
            {
                var labels = rows.Select(r => $"{r.Method}/{r.Level[0]} N={r.Seq}").ToArray();
                var flops = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * 3, Value = r.FlopsFraction, FillColor = ScottPlot.Colors.SteelBlue }).ToArray());
                var latency = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * 3 + 1, Value = r.LatencyFraction, FillColor = ScottPlot.Colors.OrangeRed }).ToArray());
                flops.LegendText = "FLOPs fraction";
                latency.LegendText = "latency fraction";
                plot.Axes.Bottom.SetTicks(rows.Select((_, i) => i * 3 + 0.5).ToArray(), labels);
                plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
                plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
                plot.Axes.Bottom.MinimumSize = 140;
                plot.Axes.Margins(bottom: 0);
                plot.ShowLegend();
            });
            return ExitCodes.Ok;
        });
        return new Command("bench", "Benchmarks: speed as ratios measured side by side.") { attention, BenchEndToEndCommand.Create(), CreateSearch(), BenchEncoderCommand.Create(), BenchClusterCommand.Create() };
    }
}
