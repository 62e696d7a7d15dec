using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>A plan's (or one entry's) FLOPs split by part of the transformer.</summary>
/// <param name="SelfAttention">Self-attention modules (QKV, QKᵀ/AV, output projection; a video model's spatial attention).</param>
/// <param name="CrossAttention">Cross-attention to the caption (PixArt, Open-Sora; shared across steps or skipped with the block).</param>
/// <param name="Mlp">The feed-forward (MLP) modules.</param>
/// <param name="Other">The adaLN modulation and the rest of the block (skipped only with the block).</param>
/// <param name="TemporalAttention">A video model's temporal self-attention modules (Open-Sora STDiT2; 0 for images).</param>
public sealed record TransformerFlops(double SelfAttention, double CrossAttention, double Mlp, double Other, double TemporalAttention = 0)
{
    /// <summary>All parts together.</summary>
    public double Total => SelfAttention + TemporalAttention + CrossAttention + Mlp + Other;

    /// <summary>The sum of two accounts.</summary>
    public static TransformerFlops operator +(TransformerFlops a, TransformerFlops b) =>
        new(a.SelfAttention + b.SelfAttention, a.CrossAttention + b.CrossAttention, a.Mlp + b.Mlp, a.Other + b.Other,
            a.TemporalAttention + b.TemporalAttention);

    /// <summary>Each part as a fraction of the same part of <paramref name="full"/> (a part <paramref name="full"/> lacks: 1).</summary>
    public TransformerFlops FractionOf(TransformerFlops full)
    {
        ArgumentNullException.ThrowIfNull(full);
        static double F(double part, double whole) => whole > 0 ? part / whole : 1;
        return new(F(SelfAttention, full.SelfAttention), F(CrossAttention, full.CrossAttention), F(Mlp, full.Mlp), F(Other, full.Other),
            F(TemporalAttention, full.TemporalAttention));
    }
}

/// <summary>
/// FLOPs of the whole transformer per method (issue #19), per sample (a CFG pair counts as two). Over all N tokens of a sample
/// (a video's T·S: <see cref="FlopsShape.Frames"/> frames of <see cref="FlopsShape.Tokens"/>): the self-attention module as
/// <see cref="AttentionFlops.Layer"/> counts it, once per call (a video: T spatial calls of S tokens); a video's temporal
/// self-attention the same way, S calls of T tokens, its methods from the temporal plan (else full); the MLP 2·2·N·D·(r·D)
/// (CFG-shared: half; shared across steps: 0); the adaLN modulation 2·D·6D (a video block's temporal modulation adds 2·D·3D);
/// with L caption tokens the cross-attention (q and output projections 4·N·D², k/v 4·L·D², QKᵀ/AV 4·N·L·D). A reused block
/// costs nothing, its temporal attention included (its cached contribution is added). A block computed with MLP sharing
/// keeps its attentions, cross-attention and modulation; one with cross-attention sharing keeps all but the cross-attention.
/// </summary>
public static class TransformerFlopsAccounting
{
    /// <summary>MLP FLOPs of one layer for one sample.</summary>
    public static double Mlp(FlopsShape shape) => 4.0 * AllTokens(shape) * shape.Hidden * shape.MlpRatio * shape.Hidden;

    /// <summary>adaLN modulation FLOPs of one layer for one sample (a video block's temporal modulation included).</summary>
    public static double Modulation(FlopsShape shape) => (Shape(shape).Frames > 0 ? 18.0 : 12.0) * shape.Hidden * shape.Hidden;

    /// <summary>Cross-attention FLOPs of one layer for one sample (0 without caption tokens).</summary>
    public static double CrossAttention(FlopsShape shape)
    {
        double n = AllTokens(shape), d = shape.Hidden, s = shape.CaptionTokens;
        return s > 0 ? 4.0 * n * d * d + 4.0 * s * d * d + 4.0 * n * s * d : 0;
    }

    /// <summary>
    /// Temporal self-attention FLOPs of one layer for one sample: <see cref="FlopsShape.Tokens"/> calls of
    /// <see cref="FlopsShape.Frames"/> tokens with <paramref name="method"/> (0 for an image model).
    /// </summary>
    /// <param name="method">The temporal attention's method.</param>
    /// <param name="refresh">Whether a full step also computes the window to refresh the residual.</param>
    /// <param name="shape">The model's shape.</param>
    /// <param name="windowPairs">(query, key) pairs inside the temporal window for <see cref="FlopsShape.Frames"/> tokens.</param>
    public static double TemporalAttention(AttentionMethod method, bool refresh, FlopsShape shape, long windowPairs) =>
        Shape(shape).Frames > 0 ? shape.Tokens * AttentionFlops.Layer(method, refresh, TemporalShape(shape), windowPairs).Module : 0;

    /// <summary>The shape of one temporal attention call: <see cref="FlopsShape.Frames"/> tokens.</summary>
    internal static FlopsShape TemporalShape(FlopsShape shape) => shape with { Tokens = shape.Frames, Frames = 0, CaptionTokens = 0 };

    /// <summary>
    /// The FLOPs of one (step, layer) entry: attention method <paramref name="attention"/> (refreshing or not), block method
    /// <paramref name="block"/>; a video model's temporal attention full.
    /// </summary>
    public static TransformerFlops Entry(AttentionMethod attention, bool refresh, BlockMethod block, FlopsShape shape, long windowPairs) =>
        Entry(attention, refresh, block, shape, windowPairs, (AttentionMethod.Full, false, 0));

    /// <summary>
    /// The FLOPs of one (step, layer) entry: spatial attention method <paramref name="attention"/> (refreshing or not), block
    /// method <paramref name="block"/> and the temporal attention's method, refresh and window pairs (<paramref name="temporal"/>).
    /// </summary>
    public static TransformerFlops Entry(AttentionMethod attention, bool refresh, BlockMethod block, FlopsShape shape, long windowPairs,
        (AttentionMethod Method, bool Refresh, long WindowPairs) temporal)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (block.SkipsBlock()) return new(0, 0, 0, 0);
        double attn = AttentionFlops.Layer(attention, refresh, shape, windowPairs).Module * shape.Calls;
        double mlp = block switch
        {
            _ when block.SharesMlp() => 0,
            _ when block.SharesCfg() && shape.CfgBatch => Mlp(shape) / 2,
            _ => Mlp(shape),
        };
        return new(attn, block.SharesCross() ? 0 : CrossAttention(shape), mlp, Modulation(shape),
            TemporalAttention(temporal.Method, temporal.Refresh, shape, temporal.WindowPairs));
    }

    /// <summary>
    /// The plan's FLOPs and the all-full plan's, both summed over every (step, layer): attention <paramref name="methods"/> and
    /// block methods <paramref name="blocks"/> (null: every block computed, its MLP in full); for a video model
    /// (<see cref="FlopsShape.Frames"/> &gt; 0) the temporal attention of <paramref name="temporal"/> (null: full).
    /// </summary>
    public static (TransformerFlops Plan, TransformerFlops Full) Evaluate(AttentionMethod[][] methods, BlockMethod[][]? blocks, FlopsShape shape,
        WindowSpec window, TemporalMethods? temporal = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(window);
        var (refresh, _) = FastAttentionRunner.CacheNeeds(methods, Shape(shape).CfgBatch);
        long pairs = window.WindowPairs(shape.Tokens);
        int layers = methods.Length == 0 ? 0 : methods[0].Length;
        var time = shape.Frames > 0 ? temporal?.Resolve(methods.Length, layers, shape.CfgBatch) : null;
        long temporalPairs = time is null ? 0 : temporal!.Window.WindowPairs(shape.Frames);
        var plan = new TransformerFlops(0, 0, 0, 0);
        var full = plan;
        var fullEntry = Entry(AttentionMethod.Full, false, BlockMethod.Full, shape, pairs);
        for (int s = 0; s < methods.Length; s++)
            for (int l = 0; l < methods[s].Length; l++)
            {
                var a = shape.CfgBatch ? methods[s][l] : methods[s][l].WithoutCfgShare();
                var t = time is var (tm, tr) ? (tm[s][l], tr[s][l], temporalPairs) : (AttentionMethod.Full, false, 0L);
                plan += Entry(a, refresh[s][l], blocks?[s][l] ?? BlockMethod.Full, shape, pairs, t);
                full += fullEntry;
            }
        return (plan, full);
    }

    private static double AllTokens(FlopsShape shape) => (double)Shape(shape).Tokens * shape.Calls;

    private static FlopsShape Shape(FlopsShape shape) => shape ?? throw new ArgumentNullException(nameof(shape));
}
