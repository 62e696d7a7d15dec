using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;

namespace FastAttn.Engine.Compression;

/// <summary>
/// A plan's cost under measured attention costs: every (step, layer) charged its method's module time
/// (<see cref="AttentionCosts.ModuleMs"/>), a full step that refreshes the window residual for a later WA-RS step charged
/// the refresh time, over the all-full plan's time. Used by the search's report, <c>fastattn plan show</c> and
/// <c>fastattn bench e2e</c>.
/// </summary>
public static class PlanCosts
{
    /// <summary>
    /// The attention-module time of <paramref name="methods"/> ([step][layer]) as a fraction of all-full attention's under
    /// <paramref name="costs"/>; without a CFG batch (<paramref name="cfgBatch"/> false) ASC runs as full attention.
    /// </summary>
    public static double AttentionTimeFraction(AttentionMethod[][] methods, AttentionCosts costs, bool cfgBatch = true)
    {
        ArgumentNullException.ThrowIfNull(costs);
        return new BlockCosts(costs.FullMs, 0, 0).TimeFraction(methods, null, costs, cfgBatch);     // attention alone: no MLP, no rest
    }

    /// <summary>The plan's attention-time fraction under <paramref name="costs"/> (its guidance decides the CFG batch).</summary>
    public static double AttentionTimeFraction(CompressionPlan plan, AttentionCosts costs)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return AttentionTimeFraction(plan.Methods, costs, plan.Key.GuidanceScale > 1);
    }

    /// <summary>
    /// The cost shape of one attention layer: <paramref name="tokens"/> tokens, <paramref name="heads"/> heads of
    /// <paramref name="hidden"/>/heads channels, one CFG pair (batch 2, what costs are measured at) and
    /// <paramref name="window"/>'s semantics and half-width.
    /// </summary>
    public static AttentionShape ShapeFor(int tokens, int heads, int hidden, WindowSpec window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (heads <= 0 || hidden % heads != 0)
            throw new ArgumentException($"A width of {hidden} does not split into {heads} heads.", nameof(heads));
        return new AttentionShape(tokens, heads, hidden / heads, 2, window.Semantics, window.HalfWidth);
    }

    /// <summary>
    /// What <paramref name="method"/> at (<paramref name="step"/>, <paramref name="layer"/>) would add in refresh time, given
    /// the steps before it in <paramref name="methods"/>: a method that reads the window residual reads it from the layer's
    /// last full (or ASC) step; when no residual reader follows that step yet, it does not refresh, and choosing the method
    /// turns it into a refresh step — <see cref="AttentionCosts.ModuleMs"/> with refresh minus without. 0 otherwise.
    /// </summary>
    public static double RefreshCostMs(AttentionMethod[][] methods, int step, int layer, AttentionMethod method, AttentionCosts costs)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(costs);
        if (!method.UsesResidual()) return 0;
        for (int j = step - 1; j >= 0; j--)
        {
            var previous = methods[j][layer];
            if (previous.UsesResidual()) return 0;                                          // the source already refreshes
            if (previous.IsFull()) return costs.ModuleMs(previous, refresh: true) - costs.ModuleMs(previous);
        }
        return 0;                                                                            // no source: runs as full (fallback)
    }
}
