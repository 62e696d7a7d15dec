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
}

/// <summary>Properties and names of <see cref="BlockMethod"/>.</summary>
public static class BlockMethods
{
    /// <summary>Whether the method computes the block's feed-forward (fully or on the conditional half).</summary>
    public static bool ComputesMlp(this BlockMethod m) => m is BlockMethod.Full or BlockMethod.MlpCfgShare;

    /// <summary>Whether the method computes only the conditional half of a CFG batch's feed-forward.</summary>
    public static bool SharesCfg(this BlockMethod m) => m == BlockMethod.MlpCfgShare;

    /// <summary>The same method without CFG sharing (used when there is no CFG batch).</summary>
    public static BlockMethod WithoutCfgShare(this BlockMethod m) => m == BlockMethod.MlpCfgShare ? BlockMethod.Full : m;

    /// <summary>Short name used in plan files: full, mlp-share, mlp-asc, reuse.</summary>
    public static string ToShortName(this BlockMethod m) => m switch
    {
        BlockMethod.Full => "full",
        BlockMethod.MlpShare => "mlp-share",
        BlockMethod.MlpCfgShare => "mlp-asc",
        BlockMethod.Reuse => "reuse",
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
            _ => throw new FormatException($"Unknown block method '{text}'. Known: full, mlp-share, mlp-asc, reuse."),
        };
    }

    /// <summary>
    /// Which (step, layer) must cache the gated feed-forward output (it computes it and the next step that does not reuse
    /// the whole block shares it) and the block's residual contribution (the next step reuses the block).
    /// </summary>
    internal static (bool[][] Mlp, bool[][] Block) CacheNeeds(BlockMethod[][] methods)
    {
        int steps = methods.Length, layers = steps == 0 ? 0 : methods[0].Length;
        var mlp = new bool[steps][];
        var block = new bool[steps][];
        for (int s = 0; s < steps; s++) { mlp[s] = new bool[layers]; block[s] = new bool[layers]; }
        for (int l = 0; l < layers; l++)
            for (int s = 0; s + 1 < steps; s++)
            {
                var m = methods[s][l];
                if (m == BlockMethod.Reuse) continue;
                block[s][l] = methods[s + 1][l] == BlockMethod.Reuse;
                if (!m.ComputesMlp()) continue;
                int j = s + 1;
                while (j < steps && methods[j][l] == BlockMethod.Reuse) j++;
                mlp[s][l] = j < steps && methods[j][l] == BlockMethod.MlpShare;
            }
        return (mlp, block);
    }

    /// <summary>Whether an MLP-sharing step of layer <paramref name="layer"/> reads the cache at or after <paramref name="step"/>.</summary>
    internal static bool MlpReadFrom(BlockMethod[][] methods, int step, int layer)
    {
        for (int j = step; j < methods.Length; j++)
        {
            if (methods[j][layer] == BlockMethod.MlpShare) return true;
            if (methods[j][layer].ComputesMlp()) return false;
        }
        return false;
    }
}
