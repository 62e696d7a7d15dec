using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>The shape that attention FLOPs depend on.</summary>
/// <param name="Tokens">Sequence length N.</param>
/// <param name="Hidden">Model width D.</param>
/// <param name="Layers">Transformer layers.</param>
/// <param name="CfgBatch">Whether each sample runs as a CFG pair (ASC halves the work only then).</param>
/// <param name="MlpRatio">MLP width multiple (4).</param>
/// <param name="CaptionTokens">Text tokens each block cross-attends to (PixArt: 300); 0 for a model without cross-attention.</param>
public sealed record FlopsShape(int Tokens, int Hidden, int Layers, bool CfgBatch, double MlpRatio = 4, int CaptionTokens = 0)
{
    /// <summary>Attention heads, when the family gives them (for measured attention costs, <see cref="PlanCosts.ShapeFor"/>).</summary>
    public int? Heads { get; init; }

    /// <summary>
    /// Video models (Open-Sora STDiT2): the frames T each temporal self-attention call sees, after patching; <see cref="Tokens"/>
    /// is then one frame's tokens S (a spatial call), a sample runs T spatial calls and S temporal ones. 0 (images): no temporal
    /// attention, one call per sample.
    /// </summary>
    public int Frames
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "Frames must not be negative.");
    }

    /// <summary>Spatial self-attention calls per sample: <see cref="Frames"/> for a video model, else 1.</summary>
    public int Calls => Math.Max(1, Frames);
}

/// <summary>A plan's FLOPs as fractions of the uncompressed model's.</summary>
/// <param name="ModuleFraction">The whole self-attention module (QKV + QKᵀ/AV + output projection): the paper's "Attn FLOPs" (headline).</param>
/// <param name="KernelFraction">QKᵀ and AV only (what the attention kernel computes).</param>
/// <param name="TransformerFraction">The whole transformer (attention, MLP, modulation).</param>
public sealed record FlopsFractions(double ModuleFraction, double KernelFraction, double TransformerFraction);

/// <summary>
/// FLOPs as the paper counts them (REFERENCE §5): the self-attention module costs 6·N·D² (QKV) + 4·N·K·D (QKᵀ, AV over
/// K keys per query: the exact (query, key) pairs the window covers, never the masked or padded pairs a kernel may also
/// compute) + 2·N·D² (output) per sample. A window only shrinks the QKᵀ/AV part;
/// ASC halves everything; AST costs nothing; a residual-refresh step costs full plus the window's QKᵀ/AV.
/// </summary>
public static class AttentionFlops
{
    /// <summary>Projection FLOPs of the module for one sample: 8·N·D².</summary>
    public static double Projections(int n, int d) => 8.0 * n * d * d;

    /// <summary>QKᵀ/AV FLOPs for one sample with <paramref name="pairs"/> (query, key) pairs: 4·pairs·D.</summary>
    public static double Kernel(long pairs, int d) => 4.0 * pairs * d;

    /// <summary>Module and kernel FLOPs of one layer at one step, for one sample (a CFG pair counts as two).</summary>
    /// <param name="method">The layer's method.</param>
    /// <param name="refresh">Whether a full step also computes the window to refresh the residual.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="windowPairs">(query, key) pairs inside the window for N tokens (<see cref="WindowSpec.WindowPairs"/>).</param>
    public static (double Module, double Kernel) Layer(AttentionMethod method, bool refresh, FlopsShape shape, long windowPairs)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int n = shape.Tokens, d = shape.Hidden;
        if (method == AttentionMethod.OutputShare) return (0, 0);
        double full = Kernel((long)n * n, d);
        double win = Kernel(windowPairs, d);
        double kernel = method.IsFull() ? full + (refresh ? win : 0) : win;
        double module = Projections(n, d) + kernel;
        double share = method.SharesCfg() && shape.CfgBatch ? 0.5 : 1.0;
        return (module * share, kernel * share);
    }

    /// <summary>
    /// The fractions of a block-scope plan against the all-full plan: the attention ones as for <paramref name="methods"/> alone,
    /// the transformer one with <paramref name="blocks"/> (null: every block computed) and, for a video model, the temporal
    /// self-attention's <paramref name="temporal"/> methods (null: full; <see cref="TransformerFlopsAccounting"/>).
    /// </summary>
    public static FlopsFractions Evaluate(AttentionMethod[][] methods, BlockMethod[][]? blocks, FlopsShape shape, WindowSpec window,
        TemporalMethods? temporal = null)
    {
        var attention = AttentionFractions(methods, shape, window);
        var (plan, full) = TransformerFlopsAccounting.Evaluate(methods, blocks, shape, window, temporal);
        return attention with { TransformerFraction = full.Total > 0 ? plan.Total / full.Total : 1 };
    }

    /// <summary>The fractions of <paramref name="methods"/> ([step][layer]) against the all-full plan.</summary>
    public static FlopsFractions Evaluate(AttentionMethod[][] methods, FlopsShape shape, WindowSpec window) =>
        Evaluate(methods, null, shape, window);

    /// <summary>The module and kernel fractions of <paramref name="methods"/> (the transformer fraction left at 1).</summary>
    private static FlopsFractions AttentionFractions(AttentionMethod[][] methods, FlopsShape shape, WindowSpec window)
    {
        ArgumentNullException.ThrowIfNull(methods);
        var (refresh, _) = FastAttentionRunner.CacheNeeds(methods, shape.CfgBatch);
        double module = 0, kernel = 0;
        long pairs = window.WindowPairs(shape.Tokens);                                      // exact pairs: no credit for padding
        var (fullModule, fullKernel) = Layer(AttentionMethod.Full, false, shape, pairs);
        for (int s = 0; s < methods.Length; s++)
            for (int l = 0; l < methods[s].Length; l++)
            {
                var m = shape.CfgBatch ? methods[s][l] : methods[s][l].WithoutCfgShare();
                var (mod, ker) = Layer(m, refresh[s][l], shape, pairs);
                module += mod;
                kernel += ker;
            }
        double entries = methods.Sum(r => r.Length);
        return new FlopsFractions(module / (fullModule * entries), kernel / (fullKernel * entries), 1);
    }

    /// <summary>
    /// Non-self-attention FLOPs of one layer for one image sample (one frame of a video, without its temporal attention): MLP
    /// 2·2·N·D·(r·D), the adaLN modulation 2·D·6D and, with caption tokens S, the cross-attention: q and output projections
    /// 4·N·D², k/v 4·S·D², QKᵀ/AV 4·N·S·D. <see cref="TransformerFlopsAccounting"/> splits these by part and counts video.
    /// </summary>
    public static double OtherPerLayer(FlopsShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        double n = shape.Tokens, d = shape.Hidden, s = shape.CaptionTokens;
        double cross = s > 0 ? 4.0 * n * d * d + 4.0 * s * d * d + 4.0 * n * s * d : 0;
        return 4.0 * n * d * shape.MlpRatio * d + 12.0 * d * d + cross;
    }
}
