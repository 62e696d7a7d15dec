using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>A plan's (or one entry's) FLOPs split by part of the transformer.</summary>
/// <param name="SelfAttention">Self-attention modules (QKV, QKᵀ/AV, output projection; a video model's compressed attention).</param>
/// <param name="CrossAttention">Cross-attention to the caption (PixArt, Open-Sora; shared across steps or skipped with the block).</param>
/// <param name="Mlp">The feed-forward (MLP) modules.</param>
/// <param name="Other">The adaLN modulation and the rest of the block (skipped only with the block).</param>
public sealed record TransformerFlops(double SelfAttention, double CrossAttention, double Mlp, double Other)
{
    /// <summary>All parts together.</summary>
    public double Total => SelfAttention + CrossAttention + Mlp + Other;

    /// <summary>The sum of two accounts.</summary>
    public static TransformerFlops operator +(TransformerFlops a, TransformerFlops b) =>
        new(a.SelfAttention + b.SelfAttention, a.CrossAttention + b.CrossAttention, a.Mlp + b.Mlp, a.Other + b.Other);

    /// <summary>Each part as a fraction of the same part of <paramref name="full"/> (a part <paramref name="full"/> lacks: 1).</summary>
    public TransformerFlops FractionOf(TransformerFlops full)
    {
        ArgumentNullException.ThrowIfNull(full);
        static double F(double part, double whole) => whole > 0 ? part / whole : 1;
        return new(F(SelfAttention, full.SelfAttention), F(CrossAttention, full.CrossAttention), F(Mlp, full.Mlp), F(Other, full.Other));
    }
}

/// <summary>
/// FLOPs of the whole transformer per method (issue #19), per sample (a CFG pair counts as two): the self-attention module
/// as <see cref="AttentionFlops.Layer"/> counts it; the MLP 2·2·N·D·(r·D) (CFG-shared: half; shared across steps: 0); the
/// adaLN modulation 2·D·6D; with S caption tokens the cross-attention (q and output projections 4·N·D², k/v 4·S·D²,
/// QKᵀ/AV 4·N·S·D). A reused block costs nothing (its cached contribution is added). A block computed with MLP sharing keeps
/// its attention, cross-attention and modulation; one with cross-attention sharing keeps all but the cross-attention.
/// </summary>
public static class TransformerFlopsAccounting
{
    /// <summary>MLP FLOPs of one layer for one sample.</summary>
    public static double Mlp(FlopsShape shape) => 4.0 * Shape(shape).Tokens * shape.Hidden * shape.MlpRatio * shape.Hidden;

    /// <summary>adaLN modulation FLOPs of one layer for one sample.</summary>
    public static double Modulation(FlopsShape shape) => 12.0 * Shape(shape).Hidden * shape.Hidden;

    /// <summary>Cross-attention FLOPs of one layer for one sample (0 without caption tokens).</summary>
    public static double CrossAttention(FlopsShape shape)
    {
        double n = Shape(shape).Tokens, d = shape.Hidden, s = shape.CaptionTokens;
        return s > 0 ? 4.0 * n * d * d + 4.0 * s * d * d + 4.0 * n * s * d : 0;
    }

    /// <summary>
    /// The FLOPs of one (step, layer) entry: attention method <paramref name="attention"/> (refreshing or not), block method
    /// <paramref name="block"/>.
    /// </summary>
    public static TransformerFlops Entry(AttentionMethod attention, bool refresh, BlockMethod block, FlopsShape shape, long windowPairs)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (block == BlockMethod.Reuse) return new(0, 0, 0, 0);
        double attn = AttentionFlops.Layer(attention, refresh, shape, windowPairs).Module;
        double mlp = block switch
        {
            _ when block.SharesMlp() => 0,
            BlockMethod.MlpCfgShare when shape.CfgBatch => Mlp(shape) / 2,
            _ => Mlp(shape),
        };
        return new(attn, block.SharesCross() ? 0 : CrossAttention(shape), mlp, Modulation(shape));
    }

    /// <summary>
    /// The plan's FLOPs and the all-full plan's, both summed over every (step, layer): attention <paramref name="methods"/> and
    /// block methods <paramref name="blocks"/> (null: every block computed, its MLP in full).
    /// </summary>
    public static (TransformerFlops Plan, TransformerFlops Full) Evaluate(AttentionMethod[][] methods, BlockMethod[][]? blocks, FlopsShape shape,
        WindowSpec window)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(window);
        var (refresh, _) = FastAttentionRunner.CacheNeeds(methods, Shape(shape).CfgBatch);
        long pairs = window.WindowPairs(shape.Tokens);
        var plan = new TransformerFlops(0, 0, 0, 0);
        var full = plan;
        var fullEntry = Entry(AttentionMethod.Full, false, BlockMethod.Full, shape, pairs);
        for (int s = 0; s < methods.Length; s++)
            for (int l = 0; l < methods[s].Length; l++)
            {
                var a = shape.CfgBatch ? methods[s][l] : methods[s][l].WithoutCfgShare();
                plan += Entry(a, refresh[s][l], blocks?[s][l] ?? BlockMethod.Full, shape, pairs);
                full += fullEntry;
            }
        return (plan, full);
    }

    private static FlopsShape Shape(FlopsShape shape) => shape ?? throw new ArgumentNullException(nameof(shape));
}
