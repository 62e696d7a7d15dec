using FastAttn.Engine.Attention;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Finds the DiTFastAttn plan for a generation: builds the search options and <see cref="PlanKey"/> of a request at a
/// threshold δ, and looks the key up in plan folders (a user cache first, then the model's shipped plans).
/// </summary>
public static class PlanLookup
{
    /// <summary>The plan-search options that a plan for <paramref name="request"/> at δ = <paramref name="threshold"/> is searched with.</summary>
    /// <param name="pipeline">The model.</param>
    /// <param name="request">The generation (steps, scheduler, guidance, size).</param>
    /// <param name="threshold">The threshold δ (&gt; 0).</param>
    /// <param name="window">The window; default N/8 block band.</param>
    /// <param name="calibrationCount">Calibration samples.</param>
    /// <param name="calibrationSeed">Calibration seed.</param>
    /// <param name="metric">What candidates are compared on (a model folder's defaults say which its plans use).</param>
    public static PlanSearchOptions SearchOptions(DiTPipeline pipeline, DiTGenerationRequest request, double threshold, WindowSpec? window = null,
        int calibrationCount = 8, long calibrationSeed = 3, SearchMetric metric = SearchMetric.RawOutput)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        int size = request.Size ?? pipeline.Transformer.Config.InputSize;
        return new PlanSearchOptions
        {
            Threshold = threshold,
            Steps = request.Steps,
            Scheduler = request.Scheduler,
            GuidanceScale = request.GuidanceScale,
            GuidedChannels = request.GuidedChannels,
            CalibrationCount = calibrationCount,
            CalibrationSeed = calibrationSeed,
            LatentSize = size,
            Window = window ?? DefaultWindow(pipeline, size),
            Metric = metric,
        };
    }

    /// <summary>The key of the plan that <paramref name="options"/> would produce for <paramref name="pipeline"/>.</summary>
    public static PlanKey KeyFor(DiTPipeline pipeline, PlanSearchOptions options, string? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(options);
        int size = options.LatentSize ?? pipeline.Transformer.Config.InputSize;
        var window = options.Window ?? DefaultWindow(pipeline, size);
        return new PlanKey(fingerprint ?? ModelFingerprint.Of(pipeline.Transformer), size, options.Steps, options.Scheduler.Name,
            options.GuidanceScale, window, options.Threshold, GreedyPlanSearch.CalibrationName(options, []));
    }

    /// <summary>The plan-search options that a plan for the PixArt <paramref name="request"/> at δ = <paramref name="threshold"/> is searched with.</summary>
    /// <param name="pipeline">The model.</param>
    /// <param name="request">The generation (steps, scheduler, guidance; its size after resolution binning, any aspect ratio).</param>
    /// <param name="threshold">The threshold δ (&gt; 0).</param>
    /// <param name="window">The window; default N/8 block band.</param>
    /// <param name="captionCount">How many of the shipped calibration captions; null uses all.</param>
    /// <param name="calibrationSeed">Calibration seed.</param>
    /// <param name="metric">What candidates are compared on.</param>
    public static PlanSearchOptions SearchOptions(PixArtPipeline pipeline, PixArtGenerationRequest request, double threshold, WindowSpec? window = null,
        int? captionCount = null, long calibrationSeed = 3, SearchMetric metric = SearchMetric.RawOutput)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(request);
        var (rows, cols) = pipeline.LatentSizeFor(request);
        int patch = pipeline.Transformer.Config.PatchSize;
        return new PlanSearchOptions
        {
            Threshold = threshold,
            Steps = request.Steps,
            Scheduler = request.Scheduler ?? pipeline.Scheduler,
            GuidanceScale = request.GuidanceScale,
            GuidedChannels = GuidedChannels.AllLatent,
            CalibrationCaptionCount = captionCount,
            CalibrationSeed = calibrationSeed,
            LatentSize = rows,
            LatentWidth = cols,
            Window = window ?? WindowSpec.ForTokens(rows / patch * (cols / patch)),
            Metric = metric,
        };
    }

    /// <summary>The key of the plan that <paramref name="options"/> would produce for the PixArt <paramref name="pipeline"/>.</summary>
    public static PlanKey KeyFor(PixArtPipeline pipeline, PlanSearchOptions options, string? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(options);
        var config = pipeline.Transformer.Config;
        int size = options.LatentSize ?? config.SampleSize, width = options.LatentWidth ?? size;
        return new PlanKey(fingerprint ?? ModelFingerprint.Of(pipeline.Transformer), size, options.Steps, options.Scheduler.Name,
            options.GuidanceScale, options.Window ?? WindowSpec.ForTokens(size / config.PatchSize * (width / config.PatchSize)), options.Threshold,
            PixArtPlanSearch.CalibrationName(options), width);
    }

    /// <summary>
    /// The first plan for <paramref name="key"/> in <paramref name="folders"/>, with its path; null when none has it.
    /// A plan file that exists but is corrupt is a <see cref="PlanFormatException"/> naming it.
    /// </summary>
    public static (CompressionPlan Plan, string Path)? Find(PlanKey key, IEnumerable<string> folders)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(folders);
        foreach (var folder in folders)
        {
            var directory = new PlanDirectory(folder);
            if (directory.TryLoad(key) is CompressionPlan plan) return (plan, directory.PathFor(key));
        }
        return null;
    }

    /// <summary>The default window for a <paramref name="latentSize"/>² input: N/8 tokens, block band.</summary>
    private static WindowSpec DefaultWindow(DiTPipeline pipeline, int latentSize)
    {
        int side = latentSize / pipeline.Transformer.Config.PatchSize;
        return WindowSpec.ForTokens(side * side);
    }

    /// <summary>The default user plan cache: $FASTATTN_PLAN_DIR, else ~/.cache/fastattn/plans.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("FASTATTN_PLAN_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fastattn", "plans");
}
