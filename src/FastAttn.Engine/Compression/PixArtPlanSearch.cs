using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The greedy compression-plan search on a PixArt pipeline: the calibration captions (the shipped set by default) are
/// denoised together, [uncond; cond] batched as PixArt does, while <see cref="GreedySearchDenoiser"/> decides each
/// step's methods for the self-attention of every block (cross-attention is never compressed). Same algorithm, same
/// candidates and thresholds as <see cref="GreedyPlanSearch"/> on DiT.
/// </summary>
public sealed class PixArtPlanSearch
{
    private readonly PixArtPipeline _pipeline;
    private readonly ILogger _logger;

    /// <summary>Creates a search over <paramref name="pipeline"/>'s transformer.</summary>
    public PixArtPlanSearch(PixArtPipeline pipeline, ILogger<PixArtPlanSearch>? logger = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Runs the search at <see cref="PlanSearchOptions.LatentSize"/> × <see cref="PlanSearchOptions.LatentWidth"/> (the model's
    /// trained size when null; any aspect ratio).
    /// Reports progress per layer and honours <paramref name="cancellationToken"/> between layers.
    /// </summary>
    public CompressionPlan Search(PlanSearchOptions options, IProgress<PlanSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = _pipeline.Transformer;
        var config = model.Config;
        int size = options.LatentSize ?? config.SampleSize, width = options.LatentWidth ?? size;
        int tokens = (size / config.PatchSize) * (width / config.PatchSize);
        var captions = CalibrationCaptions.Take(options.CalibrationPrompts, options.CalibrationCaptionCount);
        using var denoiser = GreedySearchDenoiser.For(options, config.NumLayers, tokens, config.InChannels, GuidedChannels.AllLatent, CfgBatchOrder.UnconditionalFirst,
            samplerUsesVariance: false, progress, cancellationToken);
        var request = new PixArtGenerationRequest
        {
            Prompts = captions,
            NegativePrompt = options.CalibrationNegativePrompt,
            Seeds = [options.CalibrationSeed],
            Steps = options.Steps,
            Scheduler = options.Scheduler,
            GuidanceScale = options.GuidanceScale,
            Width = width * _pipeline.VaeFactor,
            Height = size * _pipeline.VaeFactor,
            ResolutionBinning = false,
        };
        _pipeline.Validate(request);
        var stopwatch = Stopwatch.StartNew();
        using (_pipeline.Run(request, denoiser, decode: false, null, cancellationToken)) { }
        stopwatch.Stop();
        var key = new PlanKey(ModelFingerprint.Of(model), size, options.Steps, options.Scheduler.Name, options.GuidanceScale, denoiser.Window,
            options.Threshold, CalibrationName(options), width);
        var report = new PlanSearchReport(denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds, options.PrefixReuse, [], options.CalibrationSeed);
        _logger.LogInformation("PixArt plan search δ={Threshold} on {Captions} captions: {Forwards:F1} forward-equivalents in {Seconds:F1}s",
            options.Threshold, captions.Count, denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds);
        return new CompressionPlan(key, denoiser.Methods, report, new PlanModelShape(tokens, config.HiddenSize));
    }

    /// <summary>The key's calibration description: the caption set, seed, negative prompt (when not empty) and metric.</summary>
    public static string CalibrationName(PlanSearchOptions options) => CalibrationCaptions.KeyName(options, video: false);
}
