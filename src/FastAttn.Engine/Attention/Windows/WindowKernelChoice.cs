using FastAttn.Engine.Attention.Costs;

namespace FastAttn.Engine.Attention.Windows;

/// <summary>
/// Which <see cref="WindowImplementation"/> the engine runs a window on: the one the model's cost model measured
/// fastest at the shape (one CFG pair), else a built-in choice. Every implementation computes the same window, so the
/// choice changes latency only.
/// </summary>
public static class WindowKernelChoice
{
    /// <summary>
    /// The implementation for <paramref name="spec"/> at <paramref name="tokens"/> tokens, <paramref name="heads"/> heads
    /// of <paramref name="headDim"/>: <see cref="IAttentionCostModel.DefaultWindow"/> at batch 2 when
    /// <paramref name="costModel"/> is given (and names one that computes the spec's semantics), else <see cref="BuiltIn"/>.
    /// </summary>
    public static WindowImplementation For(WindowSpec spec, int tokens, int heads, int headDim, IAttentionCostModel? costModel,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (costModel is not null)
        {
            var shape = new AttentionShape(tokens, heads, headDim, Batch: 2, spec.Semantics, spec.HalfWidth);
            var chosen = costModel.DefaultWindow(shape, cancellationToken);
            if (chosen.Supports(spec.Semantics)) return chosen;
        }
        return BuiltIn(spec, tokens);
    }

    /// <summary>
    /// The choice without a cost model: <see cref="WindowImplementation.Gathered"/>, one fused call over all interior
    /// query blocks and heads. Measured on a 2-core Xeon (fp32, one CFG pair; docs/attention-kernels.md) it is the fastest
    /// or within noise of the fastest at every N tried: per-block band calls cost a dispatch per block (the small-N
    /// overhead), the dense masked call computes all N² pairs (the large-N waste).
    /// </summary>
    public static WindowImplementation BuiltIn(WindowSpec spec, int tokens)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return WindowImplementation.Gathered;
    }
}
