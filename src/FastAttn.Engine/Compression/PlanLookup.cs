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

    /// <summary>
    /// The plan searched for <paramref name="key"/> on the other device kind (a measured-order key; cpu ↔ cuda) in
    /// <paramref name="folders"/>, with its path and a warning that says so; null when the key has no device kind or no
    /// folder has that plan. Its candidates were ordered by the other device's costs: it is valid here, but may save less
    /// (or cost more) than one searched on this device.
    /// </summary>
    public static (CompressionPlan Plan, string Path, string Warning)? FindForOtherDevice(PlanKey key, IEnumerable<string> folders)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.OnOtherDevice is not PlanKey other || Find(other, folders) is not var (plan, path)) return null;
        return (plan, path, OtherDeviceWarning(plan.Key, key));
    }

    /// <summary>The warning for a plan searched on <paramref name="found"/>'s device kind used for <paramref name="wanted"/>'s.</summary>
    public static string OtherDeviceWarning(PlanKey found, PlanKey wanted)
    {
        ArgumentNullException.ThrowIfNull(found);
        ArgumentNullException.ThrowIfNull(wanted);
        return $"The plan {found.FileName} was searched for {found.DeviceKind} and is used on {wanted.DeviceKind}: its candidates were " +
            $"ordered by {found.DeviceKind} costs, so it may save less here. Run `fastattn search` with the same settings on this device " +
            "to search one for it.";
    }

    private static PlanSearchSettings Settings(int? count, long seed, SearchMetric metric) =>
        new() { CalibrationCount = count, CalibrationSeed = seed, Metric = metric };

    /// <summary>The default user plan cache: $FASTATTN_PLAN_DIR, else ~/.cache/fastattn/plans.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("FASTATTN_PLAN_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fastattn", "plans");
}
