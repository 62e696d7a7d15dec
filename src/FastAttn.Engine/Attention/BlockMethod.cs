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
}

/// <summary>Properties and names of <see cref="BlockMethod"/>.</summary>
public static class BlockMethods
{
    /// <summary>Whether the method computes the block's feed-forward (fully or on the conditional half).</summary>
    public static bool ComputesMlp(this BlockMethod m) =>
        m is BlockMethod.Full or BlockMethod.MlpCfgShare or BlockMethod.CrossShare or BlockMethod.CrossMlpCfgShare;

    /// <summary>Whether the method reuses the feed-forward output of an earlier step.</summary>
    public static bool SharesMlp(this BlockMethod m) => m is BlockMethod.MlpShare or BlockMethod.CrossMlpShare;

    /// <summary>Whether the method reuses the cross-attention output of an earlier step.</summary>
    public static bool SharesCross(this BlockMethod m) => m is BlockMethod.CrossShare or BlockMethod.CrossMlpShare or BlockMethod.CrossMlpCfgShare;

    /// <summary>Whether the method computes the block's cross-attention (the block is computed and does not share it).</summary>
    public static bool ComputesCross(this BlockMethod m) => m != BlockMethod.Reuse && !m.SharesCross();

    /// <summary>Whether the method computes only the conditional half of a CFG batch's feed-forward.</summary>
    public static bool SharesCfg(this BlockMethod m) => m is BlockMethod.MlpCfgShare or BlockMethod.CrossMlpCfgShare;

    /// <summary>The same method without CFG sharing (used when there is no CFG batch).</summary>
    public static BlockMethod WithoutCfgShare(this BlockMethod m) => m switch
    {
        BlockMethod.MlpCfgShare => BlockMethod.Full,
        BlockMethod.CrossMlpCfgShare => BlockMethod.CrossShare,
        _ => m,
    };

    /// <summary>Short name used in plan files: full, mlp-share, mlp-asc, reuse, cross-share, cross-mlp-share, cross-mlp-asc.</summary>
    public static string ToShortName(this BlockMethod m) => m switch
    {
        BlockMethod.Full => "full",
        BlockMethod.MlpShare => "mlp-share",
        BlockMethod.MlpCfgShare => "mlp-asc",
        BlockMethod.Reuse => "reuse",
        BlockMethod.CrossShare => "cross-share",
        BlockMethod.CrossMlpShare => "cross-mlp-share",
        BlockMethod.CrossMlpCfgShare => "cross-mlp-asc",
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
            _ => throw new FormatException(
                $"Unknown block method '{text}'. Known: full, mlp-share, mlp-asc, reuse, cross-share, cross-mlp-share, cross-mlp-asc."),
        };
    }

    /// <summary>
    /// Which (step, layer) must cache the gated feed-forward output (it computes it and the next step that does not reuse
    /// the whole block shares it), the block's residual contribution (the next step reuses the block) and the cross-attention
    /// output (it computes it and the next step that does not reuse the block shares it).
    /// </summary>
    internal static (bool[][] Mlp, bool[][] Block, bool[][] Cross) CacheNeeds(BlockMethod[][] methods)
    {
        int steps = methods.Length, layers = steps == 0 ? 0 : methods[0].Length;
        var (mlp, block, cross) = (new bool[steps][], new bool[steps][], new bool[steps][]);
        for (int s = 0; s < steps; s++) (mlp[s], block[s], cross[s]) = (new bool[layers], new bool[layers], new bool[layers]);
        for (int l = 0; l < layers; l++)
            for (int s = 0; s + 1 < steps; s++)
            {
                var m = methods[s][l];
                if (m == BlockMethod.Reuse) continue;
                block[s][l] = methods[s + 1][l] == BlockMethod.Reuse;
                int j = s + 1;
                while (j < steps && methods[j][l] == BlockMethod.Reuse) j++;
                mlp[s][l] = m.ComputesMlp() && j < steps && methods[j][l].SharesMlp();
                cross[s][l] = m.ComputesCross() && j < steps && methods[j][l].SharesCross();
            }
        return (mlp, block, cross);
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
