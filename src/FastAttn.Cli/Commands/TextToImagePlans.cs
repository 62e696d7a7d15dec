using System.CommandLine;
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

    /// <summary>The plan for a PixArt generation (see <see cref="PlanResolution"/>).</summary>
    public static Task<(CompressionPlan? Plan, string Source)> ResolveAsync(ParseResult parse, CommonOptions common, PixArtPipeline pipeline,
        PixArtGenerationRequest request, string? planFile, string? preset, double? threshold, bool searchIfMissing, CancellationToken cancellationToken) =>
        PlanResolution.ResolveAsync(planFile, preset, threshold, searchIfMissing, delta => Options(parse, common, pipeline, request, delta),
            options => PlanLookup.KeyFor(pipeline, options), SearchPath(parse, common), common.PlanDirectory(parse),
            (options, progress) => new PixArtPlanSearch(pipeline).Search(options, progress, cancellationToken), cancellationToken);
}
