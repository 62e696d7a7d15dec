using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Latencies (milliseconds, one CFG pair of one sample) of the parts of one transformer block, for the block scope's predicted
/// time: the self-attention, the feed-forward (MLP), the cross-attention to the caption, a video block's temporal attention and
/// the rest (adaLN modulation, norms). Each part is charged only where a plan runs it, as
/// <see cref="TransformerFlopsAccounting"/> counts its FLOPs.
/// </summary>
/// <param name="AttentionMs">The self-attention modules of one sample, full (<see cref="AttentionCosts.FullMs"/> per call).</param>
/// <param name="MlpMs">The feed-forward module.</param>
/// <param name="OtherMs">Everything else a computed block runs (besides the cross-attention and temporal attention given apart).</param>
/// <param name="CrossMs">The cross-attention (PixArt, Open-Sora; not charged where a plan shares it across steps).</param>
/// <param name="TemporalMs">A video block's temporal self-attention, full (Open-Sora STDiT2).</param>
public sealed record BlockCosts(double AttentionMs, double MlpMs, double OtherMs, double CrossMs = 0, double TemporalMs = 0)
{
    /// <summary>Self-attention calls per sample (a video: its frames, one spatial call each); <see cref="AttentionCosts"/> are per call.</summary>
    public int AttentionCalls { get; init; } = 1;

    /// <summary>
    /// The shape that scales <see cref="TemporalMs"/> by a temporal plan's FLOPs (<see cref="TransformerFlopsAccounting.TemporalAttention"/>);
    /// null: the temporal attention is charged in full.
    /// </summary>
    public FlopsShape? TemporalShape { get; init; }

    /// <summary>A whole computed block, all full.</summary>
    public double BlockMs => AttentionMs + MlpMs + OtherMs + CrossMs + TemporalMs;

    /// <summary>
    /// The block costs where only the attention module was measured: the MLP, the cross-attention, the temporal attention and
    /// the rest charged at the attention module's measured milliseconds per FLOP (<see cref="TransformerFlopsAccounting"/>).
    /// Dense matrix products run at least as efficiently as attention, so this tends to overstate their time a little; the
    /// docs say so.
    /// </summary>
    public static BlockCosts FromFlops(AttentionCosts costs, FlopsShape shape)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(shape);
        double attention = AttentionFlops.Layer(AttentionMethod.Full, false, shape, 0).Module;
        double perFlop = attention > 0 ? costs.FullMs / attention : 0;
        return new BlockCosts(costs.FullMs * shape.Calls, TransformerFlopsAccounting.Mlp(shape) * perFlop,
            TransformerFlopsAccounting.Modulation(shape) * perFlop, TransformerFlopsAccounting.CrossAttention(shape) * perFlop,
            TransformerFlopsAccounting.TemporalAttention(AttentionMethod.Full, false, shape, 0) * perFlop)
        {
            AttentionCalls = shape.Calls,
            TemporalShape = shape.Frames > 0 ? shape : null,
        };
    }

    /// <summary>
    /// The block costs measured inside an all-full generation (<paramref name="raw"/>, the parts summed over its
    /// <paramref name="entries"/> (step, layer) entries): each part's time per entry, in the units of <paramref name="costs"/> (the
    /// attention module's measured share fixes the scale, so the cost model's per-method times apply to it). The rest — norms,
    /// modulation, gates, residuals and a video block's temporal attention — is the blocks' time less the parts timed apart,
    /// which <see cref="FromFlops"/> can only guess from their FLOPs. Null when the generation timed no attention.
    /// </summary>
    public static BlockCosts? FromMeasured(AttentionCosts costs, ModuleTimes raw, int entries)
    {
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(raw);
        if (entries <= 0 || raw.Attention <= TimeSpan.Zero || costs.FullMs <= 0) return null;
        double scale = costs.FullMs * entries / raw.Attention.TotalMilliseconds;              // cost-model ms per measured ms
        double Per(TimeSpan t) => Math.Max(0, t.TotalMilliseconds) * scale / entries;
        double other = Per(raw.Blocks - raw.Attention - raw.FeedForward - raw.CrossAttention);
        return new BlockCosts(costs.FullMs, Per(raw.FeedForward), other, Per(raw.CrossAttention));
    }

    /// <summary>
    /// The transformer-block time of a plan as a fraction of the all-full plan's: every (step, layer) charged its attention
    /// method's module time (refresh included) plus what its block method runs — the MLP (in full, half when CFG-shared, not
    /// when shared across steps), the cross-attention unless shared across steps, the rest — and a video block's temporal
    /// attention, scaled by the FLOPs of <paramref name="temporal"/>'s method (null: full); a reused block: nothing.
    /// </summary>
    public double TimeFraction(AttentionMethod[][] methods, BlockMethod[][]? blocks, AttentionCosts costs, bool cfgBatch,
        TemporalMethods? temporal = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(costs);
        var (refresh, _) = FastAttentionRunner.CacheNeeds(methods, cfgBatch);
        var time = temporal is not null && TemporalShape is FlopsShape shape
            ? TemporalFractions(temporal, shape with { CfgBatch = cfgBatch }, methods.Length, methods.Length == 0 ? 0 : methods[0].Length)
            : null;
        double total = 0;
        int entries = 0;
        for (int s = 0; s < methods.Length; s++)
            for (int l = 0; l < methods[s].Length; l++, entries++)
            {
                var b = blocks?[s][l] ?? BlockMethod.Full;
                if (!cfgBatch) b = b.WithoutCfgShare();
                if (b.SkipsBlock()) continue;
                var m = cfgBatch ? methods[s][l] : methods[s][l].WithoutCfgShare();
                total += costs.ModuleMs(m, refresh[s][l]) * AttentionCalls + OtherMs + (b.SharesCross() ? 0 : CrossMs)
                    + TemporalMs * (time?[s][l] ?? 1) + b switch
                    {
                        _ when b.SharesMlp() => 0,
                        _ when b.SharesCfg() => MlpMs / 2,
                        _ => MlpMs,
                    };
            }
        return entries == 0 || BlockMs <= 0 ? 1 : total / (BlockMs * entries);
    }

    /// <summary>Each (step, layer)'s temporal attention FLOPs over full temporal attention's.</summary>
    private static double[][] TemporalFractions(TemporalMethods temporal, FlopsShape shape, int steps, int layers)
    {
        var (methods, refresh) = temporal.Resolve(steps, layers, shape.CfgBatch);
        long pairs = temporal.Window.WindowPairs(shape.Frames);
        double full = TransformerFlopsAccounting.TemporalAttention(AttentionMethod.Full, false, shape, pairs);
        return methods.Select((row, s) => row.Select((m, l) =>
            full > 0 ? TransformerFlopsAccounting.TemporalAttention(m, refresh[s][l], shape, pairs) / full : 1).ToArray()).ToArray();
    }
}
