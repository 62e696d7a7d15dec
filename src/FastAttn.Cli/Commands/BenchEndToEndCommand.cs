using System.CommandLine;
using System.Globalization;
using FastAttn.Cli.Reporting;
using FastAttn.Engine.Benchmarks;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Runtime;
using FastAttn.Engine.Sampling;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary>
/// <c>fastattn bench e2e</c>: whole generations per preset against raw, in one run, with raw's attention share and the
/// end-to-end fraction FLOPs alone predict. A real model uses its own plans (found, or searched with --search); a
/// random-weight model (--config) times XL shapes with a built-in model's searched plans resampled onto its grid.
/// </summary>
internal static class BenchEndToEndCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "A DiT checkpoint or built-in model name (real weights, its own plans). Default: a random-weight --config model." };
        var config = new Option<string>("--config") { Description = $"Random-weight config when no --model: {string.Join(", ", DiTConfigs.Names)}, {PixArtSigma} (text to image) or {STDiT2} (Open-Sora video).", DefaultValueFactory = _ => "DiT-XL/2" };
        var resolution = new Option<int>("--resolution") { Description = "Image side in pixels of the random-weight model (latent = /8; DiT default 512, PixArt 1024)." };
        var depth = new Option<int?>("--depth") { Description = "Layers of the random-weight model (default: the config's; fewer keeps a CPU run short)." };
        var steps = new Option<int?>("--steps") { Description = "Denoising steps (default: the model's; 10 for random weights)." };
        var scheduler = new Option<string?>("--scheduler") { Description = "Sampler (default: the model's; ddim for random weights)." };
        var cfg = new Option<double?>("--cfg") { Description = "Guidance scale (default: the model's; 4 for random weights)." };
        var presets = new Option<string>("--presets") { Description = "Presets to time (raw is always included).", DefaultValueFactory = _ => "raw,D1,D2,D3,D4,D5,D6" };
        var images = new Option<int>("--images") { Description = "Images per generation (one batch).", DefaultValueFactory = _ => 1 };
        var reps = new Option<int>("--reps") { Description = "Timed rounds after a warm-up round (medians reported).", DefaultValueFactory = _ => 3 };
        var planFrom = new Option<string>("--plan-from") { Description = "Random weights: the built-in model whose searched plans are resampled onto the model's steps × layers.", DefaultValueFactory = _ => BuiltInModels.Default };
        var planDir = new Option<string?>("--plan-dir") { Description = "Real model: folder of cached plans (default $FASTATTN_PLAN_DIR or ~/.cache/fastattn/plans)." };
        var search = new Option<bool>("--search") { Description = "Real model: search the plans it lacks (calibration --calib, seed 3) instead of failing." };
        var calib = new Option<int>("--calib") { Description = "Calibration samples for --search.", DefaultValueFactory = _ => 8 };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var frames = new Option<int>("--frames") { Description = $"{STDiT2}: frames per clip.", DefaultValueFactory = _ => 16 };
        var videoSize = new Option<string>("--video-size") { Description = $"{STDiT2}: HEIGHTxWIDTH in pixels (Open-Sora 240p: 240x426).", DefaultValueFactory = _ => "240x426" };
        var output = new Option<string>("--out", "-o") { Description = "Output base path (writes .json, .md, .png).", DefaultValueFactory = _ => "bench/e2e" };
        var command = new Command("e2e", "End-to-end latency per preset vs raw, attention share, and the fraction FLOPs predict (1 − share·(1 − attention FLOPs fraction)).")
        {
            model, config, resolution, depth, steps, scheduler, cfg, presets, images, reps, planFrom, planDir, search, calib, device, frames, videoSize, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dev = DeviceSelector.Resolve(DeviceSelector.Parse(parse.GetValue(device)!));
            var names = parse.GetValue(presets)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (var name in names) CompressionPresets.Threshold(name);                  // unknown presets fail before any loading
            var report = new BenchReport("End-to-end latency per preset vs raw",
                ["preset", "plan", "flopsFraction", "kernelFlopsFraction", "attentionShare", "predictedFraction", "latencyFraction", "savingRatio",
                 "attentionLatencyFraction", "medianSeconds", "spreadSeconds", "fallbacks"]);
            report.Provenance["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {dev.type}, {torch.get_num_threads()} threads";

            LoadedDiT? loaded = null;
            DiTModel? random = null;
            try
            {
                DiTPipeline pipeline;
                DiTGenerationRequest request;
                var cases = new List<EndToEndCase>();
                var planSources = new Dictionary<string, string>();
                var planFiles = new List<string>();
                if (parse.GetValue(model) is string path)
                {
                    loaded = DiTModelFolder.Load(path, null, new DiTLoadOptions { Device = dev, DType = DeviceSelector.DefaultDType(dev) });
                    pipeline = loaded.Pipeline;
                    request = NewRequest(parse.GetValue(images), parse.GetValue(steps) ?? loaded.Defaults.Steps, loaded.Defaults.CreateScheduler(parse.GetValue(scheduler)),
                        parse.GetValue(cfg) ?? loaded.Defaults.GuidanceScale, pipeline.Transformer.Config.InputSize, pipeline.Transformer.Config.NumClasses);
                    report.Provenance["model"] = $"{loaded.TransformerPath} (real weights)";
                    string[] folders = loaded.ShippedPlans is string shipped ? [parse.GetValue(planDir) ?? PlanLookup.DefaultDirectory, shipped] : [parse.GetValue(planDir) ?? PlanLookup.DefaultDirectory];
                    foreach (var name in names)
                    {
                        double delta = CompressionPresets.Threshold(name);
                        if (delta == 0) { cases.Add(new(name, null)); continue; }
                        var options = PlanLookup.SearchOptions(pipeline, request, delta, calibrationCount: parse.GetValue(calib), metric: loaded.Defaults.SearchMetric);
                        if (PlanLookup.Find(PlanLookup.KeyFor(pipeline, options), folders) is var (plan, planPath))
                        {
                            cases.Add(new(name, plan));
                            bool shippedPlan = loaded.ShippedPlans is string sp && Path.GetFullPath(planPath).StartsWith(Path.GetFullPath(sp), StringComparison.Ordinal);
                            planSources[name] = $"{(shippedPlan ? "shipped" : "cached")} δ={Delta(delta)}";
                            planFiles.Add($"{name}: {planPath} ({plan.Key.Calibration})");
                        }
                        else if (parse.GetValue(search))
                        {
                            Console.Error.WriteLine($"Searching the {name} plan (δ={delta}) ...");
                            var searched = await Task.Run(() => new GreedyPlanSearch(pipeline).Search(options, cancellationToken: cancellationToken), cancellationToken);
                            cases.Add(new(name, searched));
                            planSources[name] = $"searched now δ={Delta(delta)}";
                            planFiles.Add($"{name}: searched in this run ({searched.Key.Calibration}, {searched.Search!.ForwardEquivalents:F0} forward-equivalents)");
                        }
                        else
                        {
                            throw new InvalidOperationException(
                                $"No {name} plan for {loaded.TransformerPath} at {request.Steps} {request.Scheduler.Name} steps, guidance {request.GuidanceScale}: run `fastattn search` first, or pass --search.");
                        }
                    }
                }
                else if (parse.GetValue(config)!.Equals(STDiT2, StringComparison.OrdinalIgnoreCase))
                {
                    var (height, width) = GenerateVideoCommand.ParseSize(parse.GetValue(videoSize)!);
                    return await RunVideoAsync(report, names, dev, height, width, parse.GetValue(frames), parse.GetValue(depth), parse.GetValue(steps) ?? 10,
                        parse.GetValue(cfg) ?? 7.0, parse.GetValue(planFrom)!, parse.GetValue(reps), parse.GetValue(output)!, cancellationToken);
                }
                else if (parse.GetValue(config)!.Equals(PixArtSigma, StringComparison.OrdinalIgnoreCase))
                {
                    return await RunPixArtAsync(parse, report, names, dev, parse.GetValue(resolution) is int r and > 0 ? r : 1024, parse.GetValue(depth), parse.GetValue(steps) ?? 50,
                        parse.GetValue(scheduler) ?? "dpm", parse.GetValue(cfg) ?? 4.5, parse.GetValue(images), parse.GetValue(planFrom)!, parse.GetValue(reps),
                        parse.GetValue(output)!, cancellationToken);
                }
                else
                {
                    var baseConfig = DiTConfigs.Get(parse.GetValue(config)!, parse.GetValue(resolution) is int r and > 0 ? r : 512);
                    var modelConfig = baseConfig with { Depth = parse.GetValue(depth) ?? baseConfig.Depth };
                    if (modelConfig.Depth < 1) throw new ArgumentException($"--depth must be at least 1; got {modelConfig.Depth}.");
                    random = RandomWeights.DiT(modelConfig, dev);
                    pipeline = new DiTPipeline(random, null);
                    request = NewRequest(parse.GetValue(images), parse.GetValue(steps) ?? 10, SchedulerRegistry.Get(parse.GetValue(scheduler) ?? "ddim"),
                        parse.GetValue(cfg) ?? 4.0, modelConfig.InputSize, modelConfig.NumClasses);
                    int tokens = modelConfig.NumTokens;
                    report.Provenance["model"] = $"{parse.GetValue(config)} at {modelConfig.InputSize * 8}px: random weights (timing only), depth {modelConfig.Depth} of {baseConfig.Depth}, width {modelConfig.HiddenSize}, {modelConfig.NumHeads} heads, {tokens} tokens; no VAE decode";
                    cases.AddRange(ResampledCases(names, parse.GetValue(planFrom)!, ModelFingerprint.Of(random), modelConfig.InputSize, request.Steps, request.Scheduler.Name,
                        request.GuidanceScale, modelConfig.Depth, new PlanModelShape(tokens, modelConfig.HiddenSize), planSources, planFiles));
                }
                report.Provenance["plans"] = planFiles.Count == 0 ? "none" : string.Join("; ", planFiles);
                var c = pipeline.Transformer.Config;
                int size = request.Size ?? c.InputSize;
                report.Provenance["sampling"] = $"{request.ClassLabels.Count} image(s), {request.Steps} {request.Scheduler.Name} steps, guidance {request.GuidanceScale}, {(size / c.PatchSize) * (size / c.PatchSize)} tokens, fp32 CPU";
                report.Provenance["timing"] = $"{parse.GetValue(reps)} interleaved rounds after a warm-up round; medians; fractions are per-round ratios to raw; attention = the self-attention modules timed inside the same runs";
                report.Provenance["prediction"] = "predictedFraction = 1 − attentionShare·(1 − flopsFraction), both for the whole attention module; savingRatio = (1 − latencyFraction)/(1 − predictedFraction)";

                var rows = await Task.Run(() => EndToEndBenchmark.Run(pipeline, request, cases, parse.GetValue(reps),
                    new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken), cancellationToken);
                Write(report, rows, planSources, parse.GetValue(output)!);
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

    private const string PixArtSigma = "PixArt-Sigma-XL/2";

    private const string STDiT2 = "STDiT2-XL/2";

    /// <summary>
    /// Open-Sora v1.1 STDiT2-XL/2 shapes with random weights: a 16-frame 240p clip by default ([cond; null caption] pairs,
    /// IDDPM), random caption embeddings (200 tokens, 32 kept) standing in for T5; the plans compress the spatial attention.
    /// </summary>
    private static async Task<int> RunVideoAsync(BenchReport report, string[] names, torch.Device device, int height, int width, int frames, int? depth, int steps,
        double cfg, string planFrom, int reps, string output, CancellationToken cancellationToken)
    {
        var baseConfig = Engine.Models.OpenSora.STDiT2Config.XL2;
        var modelConfig = baseConfig with { Depth = depth ?? baseConfig.Depth };
        if (modelConfig.Depth < 1) throw new ArgumentException($"--depth must be at least 1; got {modelConfig.Depth}.");
        using var transformer = RandomWeights.STDiT2(modelConfig, device);
        using var pipeline = new OpenSoraPipeline(transformer, null, null, null);
        using var prompt = RandomWeights.Captions(1, modelConfig.ModelMaxLength, kept: 32, modelConfig.CaptionChannels, seed: 1);
        var request = new VideoGenerationRequest
        {
            PromptEmbeddings = prompt.Embeddings, Seeds = [0], Frames = frames, Height = height, Width = width, Steps = steps,
            Scheduler = SchedulerRegistry.Get("iddpm"), GuidanceScale = cfg, Decode = false,
        };
        var (f, rows, cols) = pipeline.LatentSizeFor(request);
        int tokens = pipeline.TokensPerCall(request);
        report.Provenance["model"] = $"{STDiT2} at {height}x{width}, {frames} frames: random weights (timing only), depth {modelConfig.Depth} of {baseConfig.Depth}, width {modelConfig.HiddenSize}, " +
            $"{modelConfig.NumHeads} heads, {tokens} spatial tokens per frame ({tokens * f} per clip), cross-attention to {modelConfig.ModelMaxLength} caption tokens (random embeddings stand in for T5); no VAE decode";
        var planSources = new Dictionary<string, string>();
        var planFiles = new List<string>();
        var fingerprint = ModelFingerprint.Of(transformer);
        var cases = ResampledCases(names, planFrom, fingerprint, rows, steps, request.Scheduler!.Name, cfg, modelConfig.Depth,
            new PlanModelShape(tokens, modelConfig.HiddenSize), planSources, planFiles, latentWidth: cols, latentFrames: f);
        report.Provenance["plans"] = (planFiles.Count == 0 ? "none" : string.Join("; ", planFiles)) + " — applied to every block's spatial self-attention";
        report.Provenance["sampling"] = $"1 clip, {steps} iddpm steps (the reference runs 100), guidance {cfg} on 3 channels ([cond; null caption] batch), fp32 {device.type}";
        report.Provenance["timing"] = $"{reps} interleaved rounds after a warm-up round; medians; fractions are per-round ratios to raw; attention = the spatial self-attention modules timed inside the same runs";
        report.Provenance["prediction"] = "predictedFraction = 1 − attentionShare·(1 − flopsFraction), both for the spatial self-attention module; savingRatio = (1 − latencyFraction)/(1 − predictedFraction)";
        report.Provenance["paper"] = "DiTFastAttn on Open-Sora (16 frames, 240p): 7.6–40.5% computation reduction for its D1–D6 (attention FLOPs); the reference code's own runs showed no speedup (its CFG path bypassed the compression)";
        var timings = await Task.Run(() => EndToEndBenchmark.Run(pipeline, request, cases, reps,
            new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken), cancellationToken);
        Write(report, timings, planSources, output);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// PixArt-Sigma-XL shapes with random weights: precomputed random caption embeddings (300 tokens, 32 kept; the
    /// negative prompt 1 kept) stand in for T5, DPM-Solver++ at 50 steps by default (the paper's Table 4 setting).
    /// </summary>
    private static async Task<int> RunPixArtAsync(ParseResult parse, BenchReport report, string[] names, torch.Device device, int resolution, int? depth, int steps,
        string scheduler, double cfg, int images, string planFrom, int reps, string output, CancellationToken cancellationToken)
    {
        if (images < 1) throw new ArgumentException($"--images must be at least 1; got {images}.");
        var baseConfig = Engine.Models.PixArt.PixArtConfig.SigmaXL(resolution);
        var modelConfig = baseConfig with { NumLayers = depth ?? baseConfig.NumLayers };
        if (modelConfig.NumLayers < 1) throw new ArgumentException($"--depth must be at least 1; got {modelConfig.NumLayers}.");
        using var transformer = RandomWeights.PixArt(modelConfig, device);
        using var pipeline = new PixArtPipeline(transformer, null, null, null, SchedulerRegistry.Get(scheduler));
        const int captionTokens = 300;
        using var prompt = RandomWeights.Captions(images, captionTokens, kept: 32, modelConfig.CaptionChannels, seed: 1);
        using var negative = RandomWeights.Captions(1, captionTokens, kept: 1, modelConfig.CaptionChannels, seed: 2);
        var request = new PixArtGenerationRequest
        {
            PromptEmbeddings = prompt.Embeddings, NegativeEmbeddings = negative.Embeddings, Seeds = [0], Steps = steps,
            Scheduler = SchedulerRegistry.Get(scheduler), GuidanceScale = cfg, Width = resolution, Height = resolution, ResolutionBinning = false,
        };
        int latent = resolution / 8, tokens = (latent / modelConfig.PatchSize) * (latent / modelConfig.PatchSize);
        report.Provenance["model"] = $"{PixArtSigma} at {resolution}px: random weights (timing only), depth {modelConfig.NumLayers} of {baseConfig.NumLayers}, width {modelConfig.HiddenSize}, " +
            $"{modelConfig.NumHeads} heads, {tokens} tokens, cross-attention to {captionTokens} caption tokens (random embeddings stand in for T5); no VAE decode";
        var planSources = new Dictionary<string, string>();
        var planFiles = new List<string>();
        var cases = ResampledCases(names, planFrom, ModelFingerprint.Of(transformer), latent, steps, request.Scheduler.Name, cfg, modelConfig.NumLayers,
            new PlanModelShape(tokens, modelConfig.HiddenSize), planSources, planFiles);
        report.Provenance["plans"] = planFiles.Count == 0 ? "none" : string.Join("; ", planFiles);
        report.Provenance["sampling"] = $"{images} image(s), {steps} {request.Scheduler.Name} steps, guidance {cfg} ([uncond; cond] batch), {tokens} tokens, fp32 {device.type}";
        report.Provenance["timing"] = $"{reps} interleaved rounds after a warm-up round; medians; fractions are per-round ratios to raw; attention = the self-attention modules timed inside the same runs";
        report.Provenance["prediction"] = "predictedFraction = 1 − attentionShare·(1 − flopsFraction), both for the whole self-attention module; savingRatio = (1 − latencyFraction)/(1 − predictedFraction)";
        report.Provenance["paper"] = "DiTFastAttn Table 4, PixArt-Sigma-XL 1024px, 50-step DPM-Solver, batch 1, A100: raw 12.76 s (self-attention 5.30 s, 42%); latency fraction of raw D1 0.98, D2 0.94, D3 0.89, D4 0.87, D5 0.84, D6 0.81; attention D1 0.96, D2 0.85, D3 0.76, D4 0.68, D5 0.61, D6 0.54";
        var rows = await Task.Run(() => EndToEndBenchmark.Run(pipeline, request, cases, reps,
            new Progress<string>(m => Console.Error.WriteLine(m)), cancellationToken), cancellationToken);
        Write(report, rows, planSources, output);
        return ExitCodes.Ok;
    }

    /// <summary>Each preset's plan: <paramref name="planFrom"/>'s searched plan resampled onto steps × layers (raw: none).</summary>
    private static List<EndToEndCase> ResampledCases(string[] names, string planFrom, string fingerprint, int latentSize, int steps, string scheduler, double cfg,
        int layers, PlanModelShape shape, Dictionary<string, string> planSources, List<string> planFiles, int? latentWidth = null, int? latentFrames = null)
    {
        var source = BuiltInModels.TryResolve(planFrom) is string weights && BuiltInModels.PlansOf(Path.GetDirectoryName(weights)!) is string plans
            ? plans
            : throw new ArgumentException($"--plan-from '{planFrom}' is not a built-in model with plans. Built-in: {string.Join(", ", BuiltInModels.Names)}.");
        var shipped = Directory.GetFiles(source, "*.json").Select(PlanSerializer.Load).ToList();
        var cases = new List<EndToEndCase>();
        foreach (var name in names)
        {
            double delta = CompressionPresets.Threshold(name);
            if (delta == 0) { cases.Add(new(name, null)); continue; }
            var from = shipped.FirstOrDefault(p => p.Key.Threshold == delta)
                ?? throw new InvalidOperationException($"{planFrom} ships no {name} plan to resample.");
            var key = new PlanKey(fingerprint, latentSize, steps, scheduler, cfg, Engine.Attention.WindowSpec.ForTokens(shape.Tokens), delta, $"resampled:{planFrom}/{name}",
                latentWidth, latentFrames);
            cases.Add(new(name, PlanResampler.Resample(from, key, layers, shape)));
            planSources[name] = $"resampled δ={Delta(delta)}";
            planFiles.Add($"{name}: {planFrom}'s searched {name} plan ({from.Methods.Length} steps × {from.Layers} layers) resampled to {steps} × {layers}");
        }
        return cases;
    }

    /// <summary>The table, JSON rows, markdown and the predicted-vs-measured PNG.</summary>
    private static void Write(BenchReport report, IReadOnlyList<EndToEndRow> rows, Dictionary<string, string> planSources, string output)
    {
        foreach (var r in rows)
            report.Add(new()
            {
                ["preset"] = r.Preset, ["plan"] = planSources.GetValueOrDefault(r.Preset, "none"),
                ["flopsFraction"] = r.FlopsFraction, ["kernelFlopsFraction"] = r.KernelFlopsFraction, ["attentionShare"] = r.AttentionShare,
                ["predictedFraction"] = r.PredictedFraction, ["latencyFraction"] = r.LatencyFraction, ["savingRatio"] = r.SavingRatio,
                ["attentionLatencyFraction"] = r.AttentionLatencyFraction, ["medianSeconds"] = r.MedianSeconds, ["spreadSeconds"] = r.SpreadSeconds,
                ["fallbacks"] = r.Fallbacks,
            });
        report.Write(output, plot =>
        {
            var predicted = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * 4, Value = r.PredictedFraction, FillColor = ScottPlot.Colors.Gray }).ToArray());
            var measured = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * 4 + 1, Value = r.LatencyFraction, FillColor = ScottPlot.Colors.OrangeRed }).ToArray());
            var attention = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * 4 + 2, Value = r.AttentionLatencyFraction, FillColor = ScottPlot.Colors.SteelBlue }).ToArray());
            predicted.LegendText = "end to end, predicted by FLOPs";
            measured.LegendText = "end to end, measured";
            attention.LegendText = "attention modules, measured";
            plot.Axes.Bottom.SetTicks(rows.Select((_, i) => i * 4 + 1.0).ToArray(), rows.Select(r => r.Preset).ToArray());
            plot.Axes.Left.Label.Text = "latency fraction of raw";
            plot.Axes.Margins(bottom: 0);
            plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        });
    }

    private static string Delta(double delta) => delta.ToString("0.###", CultureInfo.InvariantCulture);

    private static DiTGenerationRequest NewRequest(int images, int steps, IDiffusionSchedulerFactory scheduler, double cfg, int size, int classes)
    {
        if (images < 1) throw new ArgumentException($"--images must be at least 1; got {images}.");
        return new DiTGenerationRequest
        {
            ClassLabels = Enumerable.Range(0, images).Select(i => i % classes).ToArray(),
            Seeds = [0],
            Steps = steps,
            Scheduler = scheduler,
            GuidanceScale = cfg,
            Size = size,
            SamplesPerForward = 0,                                                          // one batch, as a server would run it
        };
    }
}
