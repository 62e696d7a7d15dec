using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Families;

/// <summary>
/// The words front ends use for plan-search settings and sample subjects, parsed here so that no front end names a
/// family's types: window semantics, metric, which video attention a plan compresses, and a subject for runs that only
/// need the generation's shape (searches, benchmarks).
/// </summary>
public static class PlanSearchNames
{
    /// <summary>"block" (block band) or "token" (the reference's token band).</summary>
    public static WindowSemantics Window(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "block" => WindowSemantics.BlockBand,
        "token" => WindowSemantics.TokenBand,
        _ => throw new NotSupportedException($"Unknown window semantics '{name}'. Allowed: block, token."),
    };

    /// <summary>
    /// "measured" (latency-aware: candidates that pay on this device, largest measured saving first; the default) or
    /// "reference" (the reference's fixed order).
    /// </summary>
    public static CandidateOrder Order(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "measured" => CandidateOrder.Measured,
        "reference" => CandidateOrder.Reference,
        _ => throw new NotSupportedException($"Unknown candidate order '{name}'. Allowed: measured, reference."),
    };

    /// <summary>"attention" (the paper's: one self-attention module per decision) or "block" (block reuse and MLP sharing too).</summary>
    public static SearchScope Scope(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "attention" => SearchScope.Attention,
        "block" => SearchScope.Block,
        _ => throw new NotSupportedException($"Unknown search scope '{name}'. Allowed: attention, block."),
    };

        /// <summary>"raw", "guided" or "ssim" (else <see cref="UnknownSearchMetricException"/>).</summary>
    public static SearchMetric Metric(string name) => SamplingDefaults.ParseMetric(name);

    /// <summary>Video models: "spatial" (the reference's) or "temporal" self-attention.</summary>
    public static VideoAttention Target(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "spatial" => VideoAttention.Spatial,
        "temporal" => VideoAttention.Temporal,
        _ => throw new NotSupportedException($"Unknown video attention '{name}'. Allowed: spatial, temporal."),
    };

    /// <summary>A subject any model of <paramref name="model"/>'s kind accepts: class 0, or a short description.</summary>
    public static string SamplePrompt(IGenerativeModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Conditioning == ConditioningKind.ClassLabel ? "0" : "a red fox running through the snow";
    }
}
