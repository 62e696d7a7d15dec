namespace FastAttn.Engine.Attention;

/// <summary>
/// How one transformer block beyond its self-attention is computed at one denoising step (block-scope plans, issue #19):
/// the feed-forward computed, shared across steps (FORA / Δ-DiT) or across the CFG halves, or the whole block reused.
/// </summary>
public enum BlockMethod
{
    /// <summary>The block is computed; its feed-forward (MLP) in full. Its self-attention follows the attention plan.</summary>
    Full,

    /// <summary>The gated feed-forward output of the most recent step that computed it is reused (FORA, Δ-DiT).</summary>
    MlpShare,

    /// <summary>The feed-forward runs on the conditional half of the CFG batch only; its output is copied to the other half.</summary>
    MlpCfgShare,

    /// <summary>
    /// The block is skipped: its residual contribution (block output − block input) from the most recent step that computed
    /// it is added to the input. The attention plan's entry of a reused block is <see cref="AttentionMethod.OutputShare"/>.
    /// </summary>
    Reuse,

    /// <summary>
    /// The block is computed, its feed-forward in full, but its cross-attention to the caption (PixArt, Open-Sora) reuses the
    /// output of the most recent step that computed it. Only models with cross-attention call the hook that honours it.
    /// </summary>
    CrossShare,

    /// <summary><see cref="CrossShare"/> and <see cref="MlpShare"/> together: both outputs from the last step that computed them.</summary>
    CrossMlpShare,

    /// <summary>
    /// <see cref="CrossShare"/> and <see cref="MlpCfgShare"/> together: the cross-attention output of the last step that computed
    /// it, the feed-forward on the conditional half of the CFG batch only (without a CFG batch: <see cref="CrossShare"/>).
    /// </summary>
    CrossMlpCfgShare,

    /// <summary>
    /// The block is skipped and its residual contribution is forecast to first order (TaylorSeer): with Δ₁, Δ₂ the
    /// contributions of the two most recent steps s₁ &lt; s₂ that computed the block, step s adds
    /// Δ₂ + (Δ₂ − Δ₁)·(s − s₂)/(s₂ − s₁) to the input. With only one computed step before it, that step's Δ (as
    /// <see cref="Reuse"/>). The attention plan's entry is <see cref="AttentionMethod.OutputShare"/>, as for a reused block.
    /// </summary>
    Forecast,
}

/// <summary>Properties and names of <see cref="BlockMethod"/>.</summary>
public static class BlockMethods
{
    /// <summary>Whether the block is skipped (<see cref="BlockMethod.Reuse"/> or <see cref="BlockMethod.Forecast"/>): none of it runs.</summary>
    public static bool SkipsBlock(this BlockMethod m) => m is BlockMethod.Reuse or BlockMethod.Forecast;

    /// <summary>Whether the method computes the block's feed-forward (fully or on the conditional half).</summary>
    public static bool ComputesMlp(this BlockMethod m) =>
        m is BlockMethod.Full or BlockMethod.MlpCfgShare or BlockMethod.CrossShare or BlockMethod.CrossMlpCfgShare;

    /// <summary>Whether the method reuses the feed-forward output of an earlier step.</summary>
    public static bool SharesMlp(this BlockMethod m) => m is BlockMethod.MlpShare or BlockMethod.CrossMlpShare;

    /// <summary>Whether the method reuses the cross-attention output of an earlier step.</summary>
    public static bool SharesCross(this BlockMethod m) => m is BlockMethod.CrossShare or BlockMethod.CrossMlpShare or BlockMethod.CrossMlpCfgShare;

    /// <summary>Whether the method computes the block's cross-attention (the block is computed and does not share it).</summary>
    public static bool ComputesCross(this BlockMethod m) => !m.SkipsBlock() && !m.SharesCross();

    /// <summary>Whether the method computes only the conditional half of a CFG batch's feed-forward.</summary>
    public static bool SharesCfg(this BlockMethod m) => m is BlockMethod.MlpCfgShare or BlockMethod.CrossMlpCfgShare;

    /// <summary>The same method without CFG sharing (used when there is no CFG batch).</summary>
    public static BlockMethod WithoutCfgShare(this BlockMethod m) => m switch
    {
        BlockMethod.MlpCfgShare => BlockMethod.Full,
        BlockMethod.CrossMlpCfgShare => BlockMethod.CrossShare,
        _ => m,
    };

    /// <summary>Short name used in plan files: full, mlp-share, mlp-asc, reuse, cross-share, cross-mlp-share, cross-mlp-asc, forecast.</summary>
    public static string ToShortName(this BlockMethod m) => m switch
    {
        BlockMethod.Full => "full",
        BlockMethod.MlpShare => "mlp-share",
        BlockMethod.MlpCfgShare => "mlp-asc",
        BlockMethod.Reuse => "reuse",
        BlockMethod.CrossShare => "cross-share",
        BlockMethod.CrossMlpShare => "cross-mlp-share",
        BlockMethod.CrossMlpCfgShare => "cross-mlp-asc",
        BlockMethod.Forecast => "forecast",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    /// <summary>Parses a short name (<see cref="ToShortName"/>).</summary>
    public static BlockMethod Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "full" => BlockMethod.Full,
            "mlp-share" => BlockMethod.MlpShare,
            "mlp-asc" => BlockMethod.MlpCfgShare,
            "reuse" => BlockMethod.Reuse,
            "cross-share" => BlockMethod.CrossShare,
            "cross-mlp-share" => BlockMethod.CrossMlpShare,
            "cross-mlp-asc" => BlockMethod.CrossMlpCfgShare,
            "forecast" => BlockMethod.Forecast,
            _ => throw new FormatException(
                $"Unknown block method '{text}'. Known: full, mlp-share, mlp-asc, reuse, cross-share, cross-mlp-share, cross-mlp-asc, forecast."),
        };
    }

    /// <summary>
    /// Which (step, layer) must cache the gated feed-forward output (it computes it and the next step that does not skip the
    /// whole block shares it), the block's residual contribution (a later skipping step reads it: see
    /// <see cref="BlockReaders"/>) and the cross-attention output (it computes it and the next step that does not skip the block
    /// shares it).
    /// </summary>
    internal static (bool[][] Mlp, bool[][] Block, bool[][] Cross) CacheNeeds(BlockMethod[][] methods)
    {
        int steps = methods.Length, layers = steps == 0 ? 0 : methods[0].Length;
        var readers = BlockReaders(methods);
        var (mlp, block, cross) = (new bool[steps][], new bool[steps][], new bool[steps][]);
        for (int s = 0; s < steps; s++) (mlp[s], block[s], cross[s]) = (new bool[layers], new bool[layers], new bool[layers]);
        for (int l = 0; l < layers; l++)
            for (int s = 0; s + 1 < steps; s++)
            {
                var m = methods[s][l];
                if (m.SkipsBlock()) continue;
                block[s][l] = readers[s][l] > s;
                int j = s + 1;
                while (j < steps && methods[j][l].SkipsBlock()) j++;
                mlp[s][l] = m.ComputesMlp() && j < steps && methods[j][l].SharesMlp();
                cross[s][l] = m.ComputesCross() && j < steps && methods[j][l].SharesCross();
            }
        return (mlp, block, cross);
    }

    /// <summary>
    /// For each (step, layer) that computes its block, the last step that reads its residual contribution (−1: none): a
    /// <see cref="BlockMethod.Reuse"/> step reads the most recent computed step before it, a <see cref="BlockMethod.Forecast"/>
    /// step the two most recent.
    /// </summary>
    internal static int[][] BlockReaders(BlockMethod[][] methods)
    {
        int steps = methods.Length, layers = steps == 0 ? 0 : methods[0].Length;
        var last = new int[steps][];
        for (int s = 0; s < steps; s++) last[s] = Enumerable.Repeat(-1, layers).ToArray();
        for (int l = 0; l < layers; l++)
        {
            int recent = -1, before = -1;                                                   // the two most recent computed steps
            for (int s = 0; s < steps; s++)
            {
                var m = methods[s][l];
                if (!m.SkipsBlock()) { (before, recent) = (recent, s); continue; }
                if (recent >= 0) last[recent][l] = s;
                if (m == BlockMethod.Forecast && before >= 0) last[before][l] = s;
            }
        }
        return last;
    }

    /// <summary>The most recent step before <paramref name="step"/> that computes layer <paramref name="layer"/>'s block (−1: none).</summary>
    internal static int LastComputed(BlockMethod[][] methods, int step, int layer)
    {
        for (int j = step - 1; j >= 0; j--)
            if (!methods[j][layer].SkipsBlock()) return j;
        return -1;
    }

    /// <summary>Whether an MLP-sharing step of layer <paramref name="layer"/> reads the cache at or after <paramref name="step"/>.</summary>
    internal static bool MlpReadFrom(BlockMethod[][] methods, int step, int layer) =>
        ReadFrom(methods, step, layer, SharesMlp, ComputesMlp);

    /// <summary>
    /// Whether a cross-attention-sharing step of layer <paramref name="layer"/> reads its cache at or after <paramref name="step"/>.
    /// </summary>
    internal static bool CrossReadFrom(BlockMethod[][] methods, int step, int layer) =>
        ReadFrom(methods, step, layer, SharesCross, ComputesCross);

    private static bool ReadFrom(BlockMethod[][] methods, int step, int layer, Func<BlockMethod, bool> reads, Func<BlockMethod, bool> computes)
    {
        for (int j = step; j < methods.Length; j++)
        {
            if (reads(methods[j][layer])) return true;
            if (computes(methods[j][layer])) return false;
        }
        return false;
    }
}
