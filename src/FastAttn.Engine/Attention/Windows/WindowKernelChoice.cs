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
    /// The choice without a cost model, from measurements on a 2-core Xeon (fp32, one CFG pair; docs/attention-kernels.md):
    /// <see cref="WindowImplementation.DenseMasked"/> — one call — while N ≤ 256 for the block band and N ≤ 128 for
    /// the token band, where dispatch costs more than the masked-out pairs (at N = 64 it is ~3× faster than the
    /// others); above, <see cref="WindowImplementation.Gathered"/> — one call for all interior blocks, the window's
    /// pairs only — which the per-block band kernels never beat by more than noise and the dense call loses to 3–4×.
    /// </summary>
    public static WindowImplementation BuiltIn(WindowSpec spec, int tokens)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int denseUpTo = spec.Semantics == WindowSemantics.BlockBand ? 256 : 128;
        return tokens <= denseUpTo ? WindowImplementation.DenseMasked : WindowImplementation.Gathered;
    }
}
