using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Latencies (milliseconds, one CFG pair) of the parts of one transformer block besides its self-attention, for the
/// block scope's predicted time: the feed-forward (MLP) and the rest (adaLN modulation, norms, cross-attention).
/// </summary>
/// <param name="AttentionMs">The self-attention module, full (<see cref="AttentionCosts.FullMs"/>).</param>
/// <param name="MlpMs">The feed-forward module.</param>
/// <param name="OtherMs">Everything else a computed block runs.</param>
public sealed record BlockCosts(double AttentionMs, double MlpMs, double OtherMs)
{
    /// <summary>A whole computed block, all full.</summary>
    public double BlockMs => AttentionMs + MlpMs + OtherMs;

    /// <summary>
    /// The block costs where only the attention module was measured: the MLP and the rest charged at the attention module's
    /// measured milliseconds per FLOP (<see cref="TransformerFlopsAccounting"/>). Dense matrix products run at least as
    /// efficiently as attention, so this tends to overstate their time a little; the docs say so.
    /// </summary>
    public static BlockCosts FromFlops(AttentionCosts costs, FlopsShape shape)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(shape);
        double attention = AttentionFlops.Layer(AttentionMethod.Full, false, shape, 0).Module;
        double perFlop = attention > 0 ? costs.FullMs / attention : 0;
        return new BlockCosts(costs.FullMs, TransformerFlopsAccounting.Mlp(shape) * perFlop,
            (TransformerFlopsAccounting.Modulation(shape) + TransformerFlopsAccounting.CrossAttention(shape)) * perFlop);
    }

    /// <summary>
    /// The transformer-block time of a plan as a fraction of the all-full plan's: every (step, layer) charged its attention
    /// method's module time (refresh included) plus its block method's MLP and rest (a reused block: nothing).
    /// </summary>
    public double TimeFraction(AttentionMethod[][] methods, BlockMethod[][]? blocks, AttentionCosts costs, bool cfgBatch)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(costs);
        var (refresh, _) = FastAttentionRunner.CacheNeeds(methods, cfgBatch);
        double total = 0;
        int entries = 0;
        for (int s = 0; s < methods.Length; s++)
            for (int l = 0; l < methods[s].Length; l++, entries++)
            {
                var b = blocks?[s][l] ?? BlockMethod.Full;
                if (!cfgBatch) b = b.WithoutCfgShare();
                if (b == BlockMethod.Reuse) continue;
                var m = cfgBatch ? methods[s][l] : methods[s][l].WithoutCfgShare();
                total += costs.ModuleMs(m, refresh[s][l]) + OtherMs + b switch
                {
                    _ when b.SharesMlp() => 0,
                    BlockMethod.MlpCfgShare => MlpMs / 2,
                    _ => MlpMs,
                };
            }
        return entries == 0 || BlockMs <= 0 ? 1 : total / (BlockMs * entries);
    }
}
