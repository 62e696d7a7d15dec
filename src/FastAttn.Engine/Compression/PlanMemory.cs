using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>Cache memory a plan needs during a generation: shared outputs (for AST) and window residuals (for WA-RS).</summary>
public static class PlanMemory
{
    /// <summary>
    /// Peak bytes of the caches for <paramref name="samples"/> images (each a CFG pair when <paramref name="cfgBatch"/>), with
    /// <paramref name="bytesPerValue"/> per element (4 for fp32). Each output or residual holds (2·samples, N, D) values from
    /// the step that writes it to the last step that reads it, as <see cref="FastAttentionRunner"/> keeps them.
    /// </summary>
    public static long PeakBytes(AttentionMethod[][] methods, int samples, int tokens, int hidden, bool cfgBatch, int bytesPerValue = 4)
    {
        ArgumentNullException.ThrowIfNull(methods);
        long entry = (long)(cfgBatch ? 2 : 1) * samples * tokens * hidden * bytesPerValue;
        return PeakEntries(methods, cfgBatch) * entry;
    }

    /// <summary>
    /// Peak cache memory per method kind of a plan (attention outputs for AST, window residuals for WA-RS, feed-forward outputs
    /// for MLP sharing, block contributions for block reuse, cross-attention outputs for cross-attention sharing) — each kind's
    /// own peak — and all caches' joint peak, for
    /// <paramref name="samples"/> images, as <see cref="BlockPlanRunner"/> keeps them; <paramref name="bytesPerValue"/> per element.
    /// </summary>
    public static PlanCacheMemory ByKind(CompressionPlan plan, int samples, int tokens, int hidden, int bytesPerValue = 4)
    {
        ArgumentNullException.ThrowIfNull(plan);
        bool cfg = plan.Key.GuidanceScale > 1;
        var methods = plan.Methods;
        var blocks = plan.Blocks ?? methods.Select(row => row.Select(_ => BlockMethod.Full).ToArray()).ToArray();
        long entry = (long)(cfg ? 2 : 1) * samples * tokens * hidden * bytesPerValue;
        var (residual, output) = FastAttentionRunner.CacheNeeds(methods, cfg);
        var (mlp, _, cross) = BlockMethods.CacheNeeds(blocks);
        var readers = BlockMethods.BlockReaders(blocks);
        int layers = plan.Layers;
        const int kinds = 5;
        var live = new bool[kinds, layers];
        var peaks = new int[kinds];
        int joint = 0;
        for (int s = 0; s < methods.Length; s++)
        {
            var during = new int[kinds];
            for (int l = 0; l < layers; l++)
            {
                var b = blocks[s][l];
                int deltas = Enumerable.Range(0, s + 1).Count(t => readers[t][l] > t && readers[t][l] >= s);   // Δs written, still read
                bool[] now =
                [
                    (live[0, l] && methods[s][l] == AttentionMethod.OutputShare) || output[s][l],
                    (live[1, l] && !methods[s][l].IsFull() && FastAttentionRunner.ResidualReadFrom(methods, s, l)) || residual[s][l],
                    (live[2, l] && !b.ComputesMlp() && BlockMethods.MlpReadFrom(blocks, s, l)) || mlp[s][l],
                    deltas > 0,
                    (live[4, l] && !b.ComputesCross() && BlockMethods.CrossReadFrom(blocks, s, l)) || cross[s][l],
                ];
                for (int k = 0; k < kinds; k++) { live[k, l] = now[k]; during[k] += k == 3 ? deltas : now[k] ? 1 : 0; }
            }
            for (int k = 0; k < kinds; k++) peaks[k] = Math.Max(peaks[k], during[k]);
            joint = Math.Max(joint, during.Sum());
        }
        return new PlanCacheMemory(peaks[0] * entry, peaks[1] * entry, peaks[2] * entry, peaks[3] * entry, joint * entry)
        {
            CrossAttention = peaks[4] * entry,
        };
    }

    /// <summary>Most caches alive at once over the generation.</summary>
    internal static int PeakEntries(AttentionMethod[][] methods, bool cfgBatch)
    {
        var (residual, output) = FastAttentionRunner.CacheNeeds(methods, cfgBatch);
        int steps = methods.Length, layers = steps == 0 ? 0 : methods[0].Length;
        var liveOut = new bool[layers];
        var liveRes = new bool[layers];
        int peak = 0;
        for (int s = 0; s < steps; s++)
        {
            int during = 0;
            for (int l = 0; l < layers; l++)
            {
                // Held during step s: caches read now or later, plus those written now.
                bool outNow = (liveOut[l] && methods[s][l] == AttentionMethod.OutputShare) || output[s][l];
                bool resNow = (liveRes[l] && !methods[s][l].IsFull() && FastAttentionRunner.ResidualReadFrom(methods, s, l)) || residual[s][l];
                liveOut[l] = outNow;
                liveRes[l] = resNow;
                during += (outNow ? 1 : 0) + (resNow ? 1 : 0);
            }
            peak = Math.Max(peak, during);
        }
        return peak;
    }
}

/// <summary>A plan's peak cache memory per method kind, in bytes (each kind's own peak), and all caches' joint peak.</summary>
/// <param name="AttentionOutput">AST: shared attention outputs.</param>
/// <param name="WindowResidual">WA-RS: window residuals.</param>
/// <param name="Mlp">MLP sharing: gated feed-forward outputs.</param>
/// <param name="Block">Block reuse and forecast: block contributions (output − input; a forecast reads two per layer).</param>
/// <param name="Total">All caches at once, at the generation's worst step.</param>
public sealed record PlanCacheMemory(long AttentionOutput, long WindowResidual, long Mlp, long Block, long Total)
{
    /// <summary>Cross-attention sharing: cross-attention outputs (PixArt, Open-Sora; 0 for DiT plans).</summary>
    public long CrossAttention { get; init; }
}
