using System.CommandLine;
using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Cli.Commands;

/// <summary>DiTFastAttn plans for PixArt pipeline folders: search options from the flags, lookup, search on demand.</summary>
internal static class TextToImagePlans
{
    /// <summary>The search options for <paramref name="request"/> at δ = <paramref name="delta"/> from the planning flags.</summary>
    public static PlanSearchOptions Options(ParseResult parse, CommonOptions common, PixArtPipeline pipeline, PixArtGenerationRequest request, double delta)
    {
        var (rows, cols) = pipeline.LatentSizeFor(request);
        int patch = pipeline.Transformer.Config.PatchSize;
        var metric = parse.GetValue(common.Metric) is string name ? SamplingDefaults.ParseMetric(name) : SearchMetric.RawOutput;
        return PlanLookup.SearchOptions(pipeline, request, delta, common.WindowFor(parse, rows / patch * (cols / patch)),
            common.CaptionCount(parse), parse.GetValue(common.CalibrationSeed), metric);
    }

    /// <summary>Plan folders: --plan-dir / $FASTATTN_PLAN_DIR / the user cache, then a 'plans' folder shipped inside the pipeline folder.</summary>
    public static IEnumerable<string> SearchPath(ParseResult parse, CommonOptions common)
    {
        yield return common.PlanDirectory(parse);
        var shipped = Path.Combine(parse.GetValue(common.Model)!, "plans");
        if (Directory.Exists(shipped)) yield return shipped;
    }

    /// <summary>The plan from --plan, or the cached plan for --preset/--threshold (searched now with --search), or none.</summary>
    public static async Task<(CompressionPlan? Plan, string Source)> ResolveAsync(ParseResult parse, CommonOptions common, PixArtPipeline pipeline,
        PixArtGenerationRequest request, string? planFile, string? preset, double? threshold, bool searchIfMissing, CancellationToken cancellationToken)
    {
        if (planFile is not null)
        {
            if (preset is not null || threshold is not null) throw new ArgumentException("Give --plan, or --preset/--threshold, not both.");
            return (PlanSerializer.Load(planFile), Path.GetFullPath(planFile));
        }
        if (preset is null && threshold is null) return (null, "");
        double delta = SearchCommand.Delta(preset, threshold);
        if (delta == 0) return (null, "raw");
        var options = Options(parse, common, pipeline, request, delta);
        var key = PlanLookup.KeyFor(pipeline, options);
        if (PlanLookup.Find(key, SearchPath(parse, common)) is var (cached, cachedPath)) return (cached, cachedPath);
        var dir = new PlanDirectory(common.PlanDirectory(parse));
        if (!searchIfMissing)
            throw new InvalidOperationException($"No cached plan for δ = {delta.ToString("0.####", CultureInfo.InvariantCulture)} with these settings in {dir.Path}. " +
                "Run `fastattn search` with the same model and settings, or add --search to search it now.");
        var plan = await ConsoleProgress.RunSearchAsync("searching the plan", options.Steps,
            progress => new PixArtPlanSearch(pipeline).Search(options, progress, cancellationToken), cancellationToken);
        return (plan, dir.Save(plan) + " (searched now)");
    }
}
