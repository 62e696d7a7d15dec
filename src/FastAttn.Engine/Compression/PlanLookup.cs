using FastAttn.Engine.Attention;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Looks a <see cref="PlanKey"/> up in plan folders (a user cache first, then the model's shipped plans) and names the
/// default user plan cache. The key of a generation's plan comes from its family (<see cref="Generation.PreparedGeneration.PlanKey"/>);
/// <see cref="PlanResolver"/> runs the whole resolution.
/// </summary>
public static class PlanLookup
{
    /// <summary>The plan-search options of a DiT <paramref name="request"/> at δ = <paramref name="threshold"/>.</summary>
    [Obsolete("Use DiTPlanSearch.OptionsFor (or the model family's PreparedGeneration.PlanKey)")]
    public static DiTPlanSearchOptions SearchOptions(DiTPipeline pipeline, DiTGenerationRequest request, double threshold, WindowSpec? window = null,
        int calibrationCount = 8, long calibrationSeed = 3, SearchMetric metric = SearchMetric.RawOutput)
    {
        var options = new DiTPlanSearch(pipeline).OptionsFor(request, threshold, Settings(calibrationCount, calibrationSeed, metric));
        return options with { Window = window ?? options.Window };
    }

    /// <summary>The key of the plan that <paramref name="options"/> would produce for <paramref name="pipeline"/>.</summary>
    [Obsolete("Use DiTPlanSearch.KeyFor")]
    public static PlanKey KeyFor(DiTPipeline pipeline, DiTPlanSearchOptions options, string? fingerprint = null) =>
        new DiTPlanSearch(pipeline).KeyFor(options, fingerprint);

    /// <summary>The plan-search options of a PixArt <paramref name="request"/> at δ = <paramref name="threshold"/>.</summary>
    [Obsolete("Use PixArtPlanSearch.OptionsFor (or the model family's PreparedGeneration.PlanKey)")]
    public static TextPlanSearchOptions SearchOptions(PixArtPipeline pipeline, PixArtGenerationRequest request, double threshold,
        WindowSpec? window = null, int? captionCount = null, long calibrationSeed = 3, SearchMetric metric = SearchMetric.RawOutput)
    {
        var options = new PixArtPlanSearch(pipeline).OptionsFor(request, threshold, Settings(captionCount, calibrationSeed, metric));
        return options with { Window = window ?? options.Window };
    }

    /// <summary>The key of the plan that <paramref name="options"/> would produce for the PixArt <paramref name="pipeline"/>.</summary>
    [Obsolete("Use PixArtPlanSearch.KeyFor")]
    public static PlanKey KeyFor(PixArtPipeline pipeline, TextPlanSearchOptions options, string? fingerprint = null) =>
        new PixArtPlanSearch(pipeline).KeyFor(options, fingerprint);

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
            if (new PlanDirectory(folder).Find(key) is { } found) return found;
        }
        return null;
    }

    private static PlanSearchSettings Settings(int? count, long seed, SearchMetric metric) =>
        new() { CalibrationCount = count, CalibrationSeed = seed, Metric = metric };

    /// <summary>The default user plan cache: $FASTATTN_PLAN_DIR, else ~/.cache/fastattn/plans.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("FASTATTN_PLAN_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fastattn", "plans");
}
