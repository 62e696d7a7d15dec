using System.Globalization;
using FastAttn.Engine.Compression;

namespace FastAttn.Cli.Commands;

/// <summary>
/// Which plan a generation runs with: the file from --plan, or the cached plan for --preset/--threshold (searched now
/// with --search), or none — the same rules for every model family.
/// </summary>
internal static class PlanResolution
{
    /// <summary>Resolves the plan; a preset without a cached plan and without --search is a clear error.</summary>
    /// <param name="planFile">--plan.</param>
    /// <param name="preset">--preset.</param>
    /// <param name="threshold">--threshold.</param>
    /// <param name="searchIfMissing">--search.</param>
    /// <param name="options">The search options for δ (the key and, if needed, the search are built from them).</param>
    /// <param name="keyFor">The key of the plan those options give.</param>
    /// <param name="folders">Plan folders, in lookup order.</param>
    /// <param name="cacheDirectory">Where a plan searched now is saved.</param>
    /// <param name="search">The plan search.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    public static async Task<(CompressionPlan? Plan, string Source)> ResolveAsync(string? planFile, string? preset, double? threshold, bool searchIfMissing,
        Func<double, PlanSearchOptions> options, Func<PlanSearchOptions, PlanKey> keyFor, IEnumerable<string> folders, string cacheDirectory,
        Func<PlanSearchOptions, IProgress<PlanSearchProgress>, CompressionPlan> search, CancellationToken cancellationToken)
    {
        if (planFile is not null)
        {
            if (preset is not null || threshold is not null) throw new ArgumentException("Give --plan, or --preset/--threshold, not both.");
            return (PlanSerializer.Load(planFile), Path.GetFullPath(planFile));
        }
        if (preset is null && threshold is null) return (null, "");
        double delta = SearchCommand.Delta(preset, threshold);
        if (delta == 0) return (null, "raw");
        var searchOptions = options(delta);
        var key = keyFor(searchOptions);
        if (PlanLookup.Find(key, folders) is var (cached, cachedPath)) return (cached, cachedPath);
        var dir = new PlanDirectory(cacheDirectory);
        if (!searchIfMissing)
            throw new InvalidOperationException($"No cached plan for δ = {delta.ToString("0.####", CultureInfo.InvariantCulture)} with these settings in {dir.Path}. " +
                "Run `fastattn search` with the same model and settings, or add --search to search it now.");
        var plan = await ConsoleProgress.RunSearchAsync("searching the plan", searchOptions.Steps, progress => search(searchOptions, progress), cancellationToken);
        return (plan, dir.Save(plan) + " (searched now)");
    }
}
