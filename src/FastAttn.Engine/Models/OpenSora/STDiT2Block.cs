using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.DiT;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// One STDiT2 block: spatial self-attention over each frame's tokens (modulated and gated by the size-conditioned
/// timestep), temporal self-attention with RoPE over each location's frames (modulated and gated by the
/// frames/fps-conditioned timestep), cross-attention to the caption, and the modulated MLP.
/// </summary>
public sealed class STDiT2Block : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm_temp;
    private readonly LayerNorm norm2;
    private readonly STDiT2Attention attn;
    private readonly STDiT2Attention attn_temp;
    private readonly STDiT2CrossAttention cross_attn;
    private readonly Mlp mlp;
    private readonly Parameter scale_shift_table;
    private readonly Parameter scale_shift_table_temporal;

    /// <summary>Creates the block; <paramref name="rope"/> is the model's shared rotary embedding.</summary>
    public STDiT2Block(STDiT2Config config, RotaryEmbedding rope) : base(nameof(STDiT2Block))
    {
        ArgumentNullException.ThrowIfNull(config);
        int c = config.HiddenSize;
        norm1 = LayerNorm(c, eps: 1e-6, elementwise_affine: false);
        norm_temp = LayerNorm(c, eps: 1e-6, elementwise_affine: false);
        norm2 = LayerNorm(c, eps: 1e-6, elementwise_affine: false);
        attn = new STDiT2Attention(c, config.NumHeads, config.QkNorm, rope: null);
        attn_temp = new STDiT2Attention(c, config.NumHeads, config.QkNorm, rope);
        cross_attn = new STDiT2CrossAttention(c, config.NumHeads);
        mlp = new Mlp(c, (int)(c * config.MlpRatio));
        scale_shift_table = Parameter(randn(6, c).Over(Math.Sqrt(c)));
        scale_shift_table_temporal = Parameter(randn(3, c).Over(Math.Sqrt(c)));
        RegisterComponents();
    }

    /// <summary>The spatial self-attention (what DiTFastAttn compresses, as the reference does).</summary>
    public STDiT2Attention SpatialAttention => attn;

    /// <summary>Full attention everywhere; see <see cref="Forward"/>.</summary>
    public override Tensor forward(Tensor x) => throw new NotSupportedException("Call Forward with the block's conditioning.");

    /// <summary>
    /// x (B, T·S, C) with token index t·S + s; spatial modulation (B, 6C); temporal modulation (B, 3C); projected
    /// caption (B, L, C) and its key bias (B, 1, 1, L) or null; the spatial self-attention by <paramref name="runner"/> and
    /// the temporal one by <paramref name="temporalRunner"/> (full attention when null), both as layer <paramref name="layer"/>
    /// (their batches are B·T frames and B·S locations, sample-major, so a CFG pair's halves stay halves); the gated MLP
    /// through <paramref name="runner"/>'s feed-forward hook (block-scope plans share it).
    /// </summary>
    /// <param name="x">Tokens (B, T·S, C).</param>
    /// <param name="spatial">Spatial modulation (B, 6C).</param>
    /// <param name="temporal">Temporal modulation (B, 3C).</param>
    /// <param name="context">Projected caption (B, L, C).</param>
    /// <param name="keyBias">(B, 1, 1, L) or null.</param>
    /// <param name="frames">T, the patch grid's frames.</param>
    /// <param name="layer">The block's index.</param>
    /// <param name="runner">The spatial self-attention and block-scope runner.</param>
    /// <param name="temporalRunner">The temporal self-attention's runner (full when null).</param>
    /// <param name="crossCache">The generation's cross-attention keys/values (null: projected on every call).</param>
    public Tensor Forward(Tensor x, Tensor spatial, Tensor temporal, Tensor context, Tensor? keyBias, int frames, int layer,
        ISelfAttentionRunner runner, ISelfAttentionRunner? temporalRunner = null, CrossAttentionCache? crossCache = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2], s = n / frames;
        var m = scale_shift_table.unsqueeze(0).Plus(spatial.view(b, 6, c)).chunk(6, 1);               // 6 × (B, 1, C)
        var mt = scale_shift_table_temporal.unsqueeze(0).Plus(temporal.view(b, 3, c)).chunk(3, 1);    // 3 × (B, 1, C)

        // A runner that returns a cached attention or MLP output does not read its input: x stands in (same shape).
        var xs = runner.ReusesAttention(layer, [b * frames, s, c]) ? x.reshape(b * frames, s, c)
            : (norm1.forward(x) * m[1].Plus(1)).Plus(m[0]).reshape(b * frames, s, c);              // (B·T, S, C)
        x = x.Plus(m[2] * runner.Run(layer, attn, xs).view(b, n, c));

        var xt = (norm_temp.forward(x) * mt[1].Plus(1)).Plus(mt[0])
            .view(b, frames, s, c).permute(0, 2, 1, 3).reshape(b * s, frames, c);                   // (B·S, T, C)
        var yt = (temporalRunner ?? FullAttentionRunner.Instance).Run(layer, attn_temp, xt)
            .view(b, s, frames, c).permute(0, 2, 1, 3).reshape(b, n, c);
        x = x.Plus(mt[2] * yt);

        x = x.Plus(runner.RunCrossAttention(layer, h => cross_attn.Forward(h, context, keyBias, crossCache, layer), x));   // (B, N, C)

        var xm = runner.ReusesFeedForward(layer, x.shape) ? x : (norm2.forward(x) * m[4].Plus(1)).Plus(m[3]);
        x = x.Plus(runner.RunFeedForward(layer, mlp.forward, xm, m[5]));                    // (B, N, C), block-scope MLP sharing
        return x.MoveToOuterDisposeScope();
    }
}
