using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The greedy compression-plan search on a class-conditional DiT (paper Alg. 1, as the reference code does it): the
/// calibration batch is denoised with the plan found so far; at each step after the first, the uncompressed output O is
/// computed from the current latents, then for each layer i in order the candidates are tried in order and the first
/// whose mean relative absolute error against O is below (i+1)/L·δ is kept (else full attention); earlier choices stay
/// active while later layers are tried. Trials write no caches, so every step's caches are exactly what a generation
/// with the final plan has. With prefix reuse, layer i's input is computed once and each candidate only reruns layers i..L−1.
/// With the measured order (the default) the candidates are filtered and ordered by their measured cost at the model's
/// attention shape on its device (<see cref="CandidatePolicy"/>; docs/latency-aware-plans.md).
/// </summary>
public sealed class DiTPlanSearch : IPlanSearch<DiTGenerationRequest, DiTPlanSearchOptions>
{
    private readonly DiTPipeline _pipeline;
    private readonly ILogger _logger;

    /// <summary>Creates a search over <paramref name="pipeline"/>'s transformer.</summary>
    public DiTPlanSearch(DiTPipeline pipeline, ILogger<DiTPlanSearch>? logger = null)
        : this(pipeline, (ILogger?)logger)
    {
    }

    internal DiTPlanSearch(DiTPipeline pipeline, ILogger? logger)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// The options a plan for <paramref name="request"/> at δ = <paramref name="threshold"/> is searched with:
    /// <paramref name="settings"/> (null: the defaults), with <paramref name="defaultMetric"/> when they name no metric.
    /// </summary>
    public DiTPlanSearchOptions OptionsFor(DiTGenerationRequest request, double threshold, PlanSearchSettings? settings = null,
        SearchMetric defaultMetric = SearchMetric.RawOutput)
    {
        ArgumentNullException.ThrowIfNull(request);
        settings ??= new PlanSearchSettings();
        int size = request.Size ?? _pipeline.Transformer.Config.InputSize;
        var options = new DiTPlanSearchOptions
        {
            Threshold = threshold,
            Steps = request.Steps,
            Scheduler = request.Scheduler,
            GuidanceScale = request.GuidanceScale,
            GuidedChannels = request.GuidedChannels,
            CalibrationCount = settings.CalibrationCount ?? 8,
            LatentSize = size,
        };
        return settings.Apply(options, Tokens(size), defaultMetric);
    }

    /// <summary>The key of the plan <paramref name="options"/> give; <paramref name="fingerprint"/> saves hashing the model again.</summary>
    public PlanKey KeyFor(DiTPlanSearchOptions options, string? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        int size = options.LatentSize ?? _pipeline.Transformer.Config.InputSize;
        return options.KeyFor(fingerprint ?? ModelFingerprint.Of(_pipeline.Transformer), size, null, null,
            options.Window ?? WindowSpec.ForTokens(Tokens(size)), CalibrationName(options), SharedCostModels.KindOf(_pipeline.Transformer.Device));
    }

    /// <summary>Runs the search. Honours <paramref name="cancellationToken"/> between layers.</summary>
    public CompressionPlan Search(DiTPlanSearchOptions options, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = _pipeline.Transformer;
        var config = model.Config;
        int size = options.LatentSize ?? config.InputSize;
        int tokens = Tokens(size);
        var costs = SearchCosts.For(options, model.Device, tokens, config.NumHeads, config.HiddenSize, options.Window ?? WindowSpec.ForTokens(tokens),
            cancellationToken);
        using var denoiser = GreedySearchDenoiser.For(options, config.Depth, tokens, config.InChannels, options.GuidedChannels,
            CfgBatchOrder.ConditionalFirst, samplerUsesVariance: true, progress, cancellationToken, costs, _pipeline.Decoder);
        var labels = options.CalibrationLabels?.ToArray() ?? RandomLabels(options.CalibrationCount, config.NumClasses, options.CalibrationSeed);
        var stopwatch = Stopwatch.StartNew();
        var request = new DiTGenerationRequest
        {
            ClassLabels = labels,
            Seeds = [options.CalibrationSeed],
            Steps = options.Steps,
            Scheduler = options.Scheduler,
            GuidanceScale = options.GuidanceScale,
            GuidedChannels = options.GuidedChannels,
            Size = size,
            SamplesPerForward = 0,                                                          // the whole calibration batch at once
        };
        DiTPipeline.Validate(request, config);
        using (var sampled = _pipeline.Run(request, denoiser, null, cancellationToken)) { }
        stopwatch.Stop();
        var key = options.KeyFor(ModelFingerprint.Of(model), size, null, null, denoiser.Window, CalibrationName(options),
            SharedCostModels.KindOf(model.Device));
        var report = SearchCosts.WithPrediction(new PlanSearchReport(denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds,
            options.PrefixReuse, labels, options.CalibrationSeed), denoiser.Methods, costs, options.GuidanceScale > 1);
        _logger.LogInformation("Plan search δ={Threshold}: {Forwards:F1} forward-equivalents in {Seconds:F1}s", options.Threshold,
            denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds);
        var shape = new PlanModelShape(tokens, config.HiddenSize) { Heads = config.NumHeads };
        return denoiser.Blocks is BlockMethod[][] blocks
            ? new CompressionPlan(key, denoiser.Methods, blocks, report, shape)
            : new CompressionPlan(key, denoiser.Methods, report, shape);
    }

    /// <summary>The key's calibration description: the labels (or how many random ones) and the seed.</summary>
    public static string CalibrationName(DiTPlanSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.CalibrationLabels is IReadOnlyList<int> labels
            ? $"labels:{string.Join(',', labels)},seed:{options.CalibrationSeed}"
            : $"labels:random{options.CalibrationCount},seed:{options.CalibrationSeed}";
    }

    /// <summary>Calibration labels drawn uniformly from 0..classes−1 with a seeded generator.</summary>
    public static int[] RandomLabels(int count, int classes, long seed)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "At least one calibration sample is required.");
        using var g = new torch.Generator(unchecked((ulong)seed));
        using var draw = randint(0, classes, [count], ScalarType.Int64, generator: g);
        return draw.data<long>().Select(v => (int)v).ToArray();
    }

    private int Tokens(int size)
    {
        int side = size / _pipeline.Transformer.Config.PatchSize;
        return side * side;
    }
}
