using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The greedy compression-plan search on an Open-Sora pipeline: the calibration prompts (the 12 shipped video prompts by
/// default) are denoised together as [cond; null caption] pairs while <see cref="GreedySearchDenoiser"/> decides each
/// step's method for every block's spatial self-attention — the reference's target — or, as an option, its temporal
/// self-attention (the other one, and cross-attention, stay full). The paper searched video with smaller thresholds: see
/// the V1..V5 presets.
/// </summary>
public sealed class OpenSoraPlanSearch : IPlanSearch<VideoGenerationRequest, VideoPlanSearchOptions>
{
    private readonly OpenSoraPipeline _pipeline;
    private readonly ILogger _logger;

    /// <summary>Creates a search over <paramref name="pipeline"/>'s transformer.</summary>
    public OpenSoraPlanSearch(OpenSoraPipeline pipeline, ILogger<OpenSoraPlanSearch>? logger = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// The options a plan for <paramref name="request"/> at δ = <paramref name="threshold"/> is searched with:
    /// <paramref name="settings"/> (null: the defaults — spatial target, all 12 shipped prompts), with
    /// <paramref name="defaultMetric"/> when they name no metric.
    /// </summary>
    public VideoPlanSearchOptions OptionsFor(VideoGenerationRequest request, double threshold, PlanSearchSettings? settings = null,
        SearchMetric defaultMetric = SearchMetric.RawOutput)
    {
        ArgumentNullException.ThrowIfNull(request);
        settings ??= new PlanSearchSettings();
        var (frames, rows, cols) = _pipeline.LatentSizeFor(request);
        var options = new VideoPlanSearchOptions
        {
            Threshold = threshold,
            Steps = request.Steps,
            Scheduler = request.Scheduler ?? SchedulerRegistry.Get("iddpm"),
            GuidanceScale = request.GuidanceScale,
            CalibrationCaptionCount = settings.CalibrationCount,
            LatentHeight = rows,
            LatentWidth = cols,
            LatentFrames = frames,
            Target = settings.Target,
        };
        return settings.Apply(options, _pipeline.TokensPerCall(request, settings.Target), defaultMetric);
    }

    /// <summary>Which attention a plan compresses, from its key.</summary>
    [Obsolete("Use PlanKey.Target")]
    public static VideoAttention TargetOf(PlanKey key) => (key ?? throw new ArgumentNullException(nameof(key))).Target;

    /// <summary>The key of the plan <paramref name="options"/> give; <paramref name="fingerprint"/> saves hashing the model again.</summary>
    public PlanKey KeyFor(VideoPlanSearchOptions options, string? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LatentHeight is not int rows || options.LatentWidth is not int cols || options.Window is not WindowSpec window)
            throw new ArgumentException("Video plan options need the latent height, width and window (use OptionsFor).", nameof(options));
        return options.KeyFor(fingerprint ?? ModelFingerprint.Of(_pipeline.Transformer), rows, cols, options.LatentFrames, window,
            CalibrationCaptions.KeyName(options), SharedCostModels.KindOf(SearchCosts.DeviceOf(_pipeline.Transformer)), options.Target);
    }

    /// <summary>Runs the search (options from <see cref="OptionsFor"/>). Reports progress per layer; honours cancellation between layers.</summary>
    public CompressionPlan Search(VideoPlanSearchOptions options, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Target == VideoAttention.Temporal)                                      // blocks are decided through the spatial plan
            SearchScopeNotSupportedException.ThrowUnlessAttention(options.SearchScope, "Open-Sora's temporal attention");
        var key = KeyFor(options);
        var config = _pipeline.Transformer.Config;
        int rows = key.LatentHeight, cols = key.Width, frames = key.LatentFrames!.Value;
        var prompts = CalibrationCaptions.For(options);
        var request = new VideoGenerationRequest
        {
            Prompts = prompts,
            Seeds = [options.CalibrationSeed],
            Frames = frames,
            Height = rows * _pipeline.VaeFactor,
            Width = cols * _pipeline.VaeFactor,
            Steps = options.Steps,
            Scheduler = options.Scheduler,
            GuidanceScale = options.GuidanceScale,
            Decode = false,
        };
        _pipeline.Validate(request);
        int tokens = _pipeline.TokensPerCall(request, options.Target);
        var costs = SearchCosts.For(options, SearchCosts.DeviceOf(_pipeline.Transformer), tokens, config.NumHeads, config.HiddenSize,
            options.Window ?? WindowSpec.ForTokens(tokens), cancellationToken);
        using var denoiser = GreedySearchDenoiser.For(options, config.Depth, tokens, config.InChannels, GuidedChannels.ReferenceFirstThree,
            CfgBatchOrder.ConditionalFirst, samplerUsesVariance: true, progress, cancellationToken, costs, _pipeline.Decoder);
        denoiser.CrossAttention = true;                                                     // block scope: its output may be shared
        var targeted = new VideoAttentionDenoiser(denoiser, options.Target, FullAttentionRunner.Instance);   // the other attention stays full
        var stopwatch = Stopwatch.StartNew();
        using (_pipeline.Run(request, targeted, null, cancellationToken)) { }
        stopwatch.Stop();
        var report = SearchCosts.WithPrediction(new PlanSearchReport(denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds,
            options.PrefixReuse, [], options.CalibrationSeed), denoiser.Methods, costs, options.GuidanceScale > 1);
        _logger.LogInformation("Open-Sora plan search δ={Threshold} on {Prompts} prompts: {Forwards:F1} forward-equivalents in {Seconds:F1}s",
            options.Threshold, prompts.Count, denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds);
        var shape = new PlanModelShape(tokens, config.HiddenSize)
        {
            Heads = config.NumHeads, CaptionTokens = config.ModelMaxLength, Frames = _pipeline.TokensPerCall(request, VideoAttention.Temporal),
            FrameTokens = _pipeline.TokensPerCall(request, VideoAttention.Spatial),
        };
        return denoiser.Blocks is BlockMethod[][] blocks
            ? new CompressionPlan(key, denoiser.Methods, blocks, report, shape)
            : new CompressionPlan(key, denoiser.Methods, report, shape);
    }
}
