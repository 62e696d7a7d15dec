using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The greedy compression-plan search (paper Alg. 1, as the reference code does it): the calibration batch is denoised
/// with the plan found so far; at each step after the first, the uncompressed output O is computed from the current
/// latents, then for each layer i in order the candidates are tried in order and the first whose mean relative absolute
/// error against O is below (i+1)/L·δ is kept (else full attention); earlier choices stay active while later layers are
/// tried. Trials write no caches, so every step's caches are exactly what a generation with the final plan has.
/// With prefix reuse, layer i's input is computed once and each candidate only reruns layers i..L−1.
/// </summary>
public sealed class GreedyPlanSearch
{
    private readonly DiTPipeline _pipeline;
    private readonly ILogger _logger;

    /// <summary>Creates a search over <paramref name="pipeline"/>'s transformer.</summary>
    public GreedyPlanSearch(DiTPipeline pipeline, ILogger<GreedyPlanSearch>? logger = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Runs the search. Honours <paramref name="cancellationToken"/> between layers.</summary>
    public CompressionPlan Search(PlanSearchOptions options, IProgress<PlanSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = _pipeline.Transformer;
        var config = model.Config;
        int size = options.LatentSize ?? config.InputSize;
        int tokens = (size / config.PatchSize) * (size / config.PatchSize);
        using var denoiser = GreedySearchDenoiser.For(options, config.Depth, tokens, config.InChannels, options.GuidedChannels, CfgBatchOrder.ConditionalFirst,
            samplerUsesVariance: true, progress, cancellationToken);
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
        var key = new PlanKey(ModelFingerprint.Of(model), size, options.Steps, options.Scheduler.Name, options.GuidanceScale, denoiser.Window,
            options.Threshold, CalibrationName(options, labels));
        var report = new PlanSearchReport(denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds, options.PrefixReuse, labels, options.CalibrationSeed);
        _logger.LogInformation("Plan search δ={Threshold}: {Forwards:F1} forward-equivalents in {Seconds:F1}s", options.Threshold, denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds);
        return new CompressionPlan(key, denoiser.Methods, report, new PlanModelShape(tokens, config.HiddenSize));
    }

    /// <summary>The key's calibration description.</summary>
    public static string CalibrationName(PlanSearchOptions options, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(options);
        var name = options.CalibrationLabels is null
            ? $"labels:random{options.CalibrationCount},seed:{options.CalibrationSeed}"
            : $"labels:{string.Join(',', labels)},seed:{options.CalibrationSeed}";
        return options.Metric == SearchMetric.GuidedOutput && options.GuidanceScale > 1.0 ? name + ",metric:guided" : name;
    }

    /// <summary>Calibration labels drawn uniformly from 0..classes−1 with a seeded generator.</summary>
    public static int[] RandomLabels(int count, int classes, long seed)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "At least one calibration sample is required.");
        using var g = new torch.Generator(unchecked((ulong)seed));
        using var draw = randint(0, classes, [count], ScalarType.Int64, generator: g);
        return draw.data<long>().Select(v => (int)v).ToArray();
    }
}
