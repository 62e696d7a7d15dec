using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The temporal self-attention's methods of a video model (Open-Sora STDiT2), [step][layer], from a temporal plan, with that
/// plan's window over the frames; for the FLOPs and time accounts of the whole transformer beside the spatial plan.
/// </summary>
/// <param name="Methods">The temporal attention method of each (step, layer).</param>
/// <param name="Window">The temporal plan's window (over the frames of one location).</param>
public sealed record TemporalMethods(AttentionMethod[][] Methods, WindowSpec Window)
{
    /// <summary>A temporal <paramref name="plan"/>'s methods and window.</summary>
    public static TemporalMethods Of(CompressionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new TemporalMethods(plan.Methods, plan.Key.Window);
    }

    /// <summary>
    /// Each (step, layer)'s method with ASC dropped without a CFG batch (<paramref name="cfgBatch"/>), and whether a full step
    /// refreshes the window residual for a later WA-RS step (<see cref="FastAttentionRunner.CacheNeeds"/>); checked against the
    /// spatial grid's <paramref name="steps"/> × <paramref name="layers"/>.
    /// </summary>
    internal (AttentionMethod[][] Methods, bool[][] Refresh) Resolve(int steps, int layers, bool cfgBatch)
    {
        if (Methods.Length != steps || Methods.Any(row => row.Length != layers))
            throw new ArgumentException($"The temporal methods must be {steps} steps × {layers} layers, like the spatial plan's.");
        var (refresh, _) = FastAttentionRunner.CacheNeeds(Methods, cfgBatch);
        return (cfgBatch ? Methods : Methods.Select(r => r.Select(m => m.WithoutCfgShare()).ToArray()).ToArray(), refresh);
    }
}
