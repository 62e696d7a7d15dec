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
