using System.Text.Json.Serialization;
using FastAttn.Engine.Attention.Windows;

namespace FastAttn.Engine.Attention.Costs;

/// <summary>
/// Median latencies (milliseconds) of one attention layer at one shape on one device: each method at module level
/// (projections included, as the engine runs it) and each window implementation at kernel level (QKᵀ/AV only).
/// </summary>
/// <param name="FullMs">Full attention.</param>
/// <param name="RefreshMs">A full step that also computes the window and writes the residual a later WA-RS step reads.</param>
/// <param name="WindowResidualMs">WA-RS: window attention plus the cached residual.</param>
/// <param name="FullCfgShareMs">ASC: full attention on the conditional half, shared.</param>
/// <param name="WindowResidualCfgShareMs">WA-RS + ASC.</param>
/// <param name="OutputShareMs">AST: the cached output reused.</param>
/// <param name="FullKernelMs">The fused full-attention kernel alone.</param>
/// <param name="WindowKernelMs">Each window implementation that computes the shape's window semantics, kernel alone.</param>
public sealed record AttentionCosts(double FullMs, double RefreshMs, double WindowResidualMs, double FullCfgShareMs,
    double WindowResidualCfgShareMs, double OutputShareMs, double FullKernelMs, IReadOnlyDictionary<WindowImplementation, double> WindowKernelMs)
{
    /// <summary>Seconds the measurement took (0 when the costs were given or read from a cache).</summary>
    public double MeasuredSeconds { get; init; }

    /// <summary>The fastest window implementation (ties: the earlier in <see cref="WindowImplementations.All"/>).</summary>
    [JsonIgnore]
    public WindowImplementation DefaultWindow => WindowImplementations.All.Where(WindowKernelMs.ContainsKey)
        .MinBy(i => WindowKernelMs[i]);

    /// <summary>The module latency of <paramref name="method"/>; with <paramref name="refresh"/> a full step refreshing the residual.</summary>
    /// <remarks>The window ablation without residual is charged as WA-RS (an upper bound: it skips one addition).</remarks>
    public double ModuleMs(AttentionMethod method, bool refresh = false) => method switch
    {
        AttentionMethod.Full => refresh ? RefreshMs : FullMs,
        AttentionMethod.FullCfgShare => refresh ? Math.Max(FullCfgShareMs, RefreshMs / 2) : FullCfgShareMs,
        AttentionMethod.WindowResidual or AttentionMethod.Window => WindowResidualMs,
        AttentionMethod.WindowResidualCfgShare => WindowResidualCfgShareMs,
        AttentionMethod.OutputShare => OutputShareMs,
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>The module latency of <paramref name="method"/> as a fraction of full attention's.</summary>
    public double ModuleFraction(AttentionMethod method, bool refresh = false) => FullMs > 0 ? ModuleMs(method, refresh) / FullMs : 1;

    /// <summary>Whether every latency is finite and not negative, and at least one window implementation is present.</summary>
    public bool IsValid() =>
        new[] { FullMs, RefreshMs, WindowResidualMs, FullCfgShareMs, WindowResidualCfgShareMs, OutputShareMs, FullKernelMs }.All(Valid)
        && WindowKernelMs is { Count: > 0 } && WindowKernelMs.Values.All(Valid);

    private static bool Valid(double ms) => double.IsFinite(ms) && ms >= 0;
}
