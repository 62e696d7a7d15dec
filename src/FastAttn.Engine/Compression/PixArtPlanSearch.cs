using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The greedy compression-plan search on a PixArt pipeline: the calibration captions (the first 6 shipped by default) are
/// denoised together, [uncond; cond] batched as PixArt does, while <see cref="GreedySearchDenoiser"/> decides each
/// step's methods for the self-attention of every block (cross-attention is never compressed). Same algorithm, same
/// candidates, thresholds and candidate orders as <see cref="DiTPlanSearch"/>.
/// </summary>
public sealed class PixArtPlanSearch : IPlanSearch<PixArtGenerationRequest, TextPlanSearchOptions>
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
    /// The options a plan for <paramref name="request"/> (at its size after resolution binning, any aspect ratio) at
    /// δ = <paramref name="threshold"/> is searched with: <paramref name="settings"/> (null: the defaults; the calibration
    /// count takes the first shipped captions, <see cref="CalibrationCaptions.PaperImageCount"/> (6, the paper's) unless
    /// set — 40 takes them all), with <paramref name="defaultMetric"/> when they name no metric.
    /// </summary>
    public TextPlanSearchOptions OptionsFor(PixArtGenerationRequest request, double threshold, PlanSearchSettings? settings = null,
        SearchMetric defaultMetric = SearchMetric.RawOutput)
    {
        ArgumentNullException.ThrowIfNull(request);
        settings ??= new PlanSearchSettings();
        var (rows, cols) = _pipeline.LatentSizeFor(request);
        var options = new TextPlanSearchOptions
        {
            Threshold = threshold,
            Steps = request.Steps,
            Scheduler = request.Scheduler ?? _pipeline.Scheduler,
            GuidanceScale = request.GuidanceScale,
            CalibrationCaptionCount = settings.CalibrationCount ?? CalibrationCaptions.PaperImageCount,
            LatentHeight = rows,
            LatentWidth = cols,
        };
        return settings.Apply(options, Tokens(rows, cols), defaultMetric);
    }

    /// <summary>The key of the plan <paramref name="options"/> give; <paramref name="fingerprint"/> saves hashing the model again.</summary>
    public PlanKey KeyFor(TextPlanSearchOptions options, string? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (rows, cols) = LatentOf(options);
        return options.KeyFor(fingerprint ?? ModelFingerprint.Of(_pipeline.Transformer), rows, cols, null,
            options.Window ?? WindowSpec.ForTokens(Tokens(rows, cols)), CalibrationName(options), DeviceKind);
    }

    /// <summary>
    /// Runs the search at the options' latent height × width (the model's trained size when null; any aspect ratio).
    /// Reports progress per layer and honours <paramref name="cancellationToken"/> between layers.
    /// </summary>
    public CompressionPlan Search(TextPlanSearchOptions options, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = _pipeline.Transformer;
        var config = model.Config;
        var (rows, cols) = LatentOf(options);
        int tokens = Tokens(rows, cols);
        var captions = CalibrationCaptions.For(options);
        var costs = SearchCosts.For(options, SearchCosts.DeviceOf(model), tokens, config.NumHeads, config.HiddenSize,
            options.Window ?? WindowSpec.ForTokens(tokens), cancellationToken);
        using var denoiser = GreedySearchDenoiser.For(options, config.NumLayers, tokens, config.InChannels, GuidedChannels.AllLatent,
            CfgBatchOrder.UnconditionalFirst, samplerUsesVariance: false, progress, cancellationToken, costs, _pipeline.Decoder);
        denoiser.CrossAttention = true;                                                     // block scope: its output may be shared
        var request = new PixArtGenerationRequest
        {
            Prompts = captions,
            NegativePrompt = options.CalibrationNegativePrompt,
            Seeds = [options.CalibrationSeed],
            Steps = options.Steps,
            Scheduler = options.Scheduler,
            GuidanceScale = options.GuidanceScale,
            Width = cols * _pipeline.VaeFactor,
            Height = rows * _pipeline.VaeFactor,
            ResolutionBinning = false,
        };
        _pipeline.Validate(request);
        var stopwatch = Stopwatch.StartNew();
        using (_pipeline.Run(request, denoiser, decode: false, null, cancellationToken)) { }
        stopwatch.Stop();
        var key = options.KeyFor(ModelFingerprint.Of(model), rows, cols, null, denoiser.Window, CalibrationName(options), DeviceKind);
        var report = SearchCosts.WithPrediction(new PlanSearchReport(denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds,
            options.PrefixReuse, [], options.CalibrationSeed), denoiser.Methods, costs, options.GuidanceScale > 1);
        _logger.LogInformation("PixArt plan search δ={Threshold} on {Captions} captions: {Forwards:F1} forward-equivalents in {Seconds:F1}s",
            options.Threshold, captions.Count, denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds);
        var shape = new PlanModelShape(tokens, config.HiddenSize) { Heads = config.NumHeads, CaptionTokens = request.MaxTokens };
        return denoiser.Blocks is BlockMethod[][] blocks
            ? new CompressionPlan(key, denoiser.Methods, blocks, report, shape)
            : new CompressionPlan(key, denoiser.Methods, report, shape);
    }

    /// <summary>The key's calibration description: the caption set, seed and negative prompt (when not empty).</summary>
    public static string CalibrationName(TextPlanSearchOptions options) => CalibrationCaptions.KeyName(options);

    private string DeviceKind => SharedCostModels.KindOf(SearchCosts.DeviceOf(_pipeline.Transformer));

    private (int Rows, int Cols) LatentOf(TextPlanSearchOptions options)
    {
        int rows = options.LatentHeight ?? _pipeline.Transformer.Config.SampleSize;
        return (rows, options.LatentWidth ?? rows);
    }

    private int Tokens(int rows, int cols)
    {
        int patch = _pipeline.Transformer.Config.PatchSize;
        return rows / patch * (cols / patch);
    }
}
