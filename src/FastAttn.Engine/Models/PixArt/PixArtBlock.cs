using FastAttn.Engine.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.PixArt;

/// <summary>
/// One PixArt transformer block (diffusers <c>BasicTransformerBlock</c>, <c>ada_norm_single</c>): the six modulations
/// are the block's <c>scale_shift_table</c> plus the shared timestep modulation; self-attention on the modulated,
/// normalised tokens with a gate; cross-attention to the caption on the un-normalised tokens, without gate; a modulated,
/// gated feed-forward.
/// </summary>
public sealed class PixArtBlock : Module<Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    private readonly Parameter scale_shift_table;
    private readonly LayerNorm norm1;
    private readonly PixArtAttention attn1;
    private readonly PixArtAttention attn2;
    private readonly LayerNorm norm2;
    private readonly PixArtFeedForward ff;

    /// <summary>Creates the block.</summary>
    public PixArtBlock(PixArtConfig config) : base(nameof(PixArtBlock))
    {
        ArgumentNullException.ThrowIfNull(config);
        int d = config.HiddenSize;
        scale_shift_table = Parameter(randn(6, d).Over(Math.Sqrt(d)));
        norm1 = LayerNorm(d, eps: config.NormEps, elementwise_affine: false);
        attn1 = new PixArtAttention(d, config.NumHeads, config.HeadDim);
        attn2 = new PixArtAttention(d, config.NumHeads, config.HeadDim, config.CrossAttentionDim);
        norm2 = LayerNorm(d, eps: config.NormEps, elementwise_affine: false);
        ff = new PixArtFeedForward(d);
        RegisterComponents();
    }

    /// <summary>The self-attention (what DiTFastAttn compresses).</summary>
    public PixArtAttention SelfAttention => attn1;

    /// <summary>
    /// x (B, N, D), modulation (B, 6D) from <see cref="AdaLayerNormSingle"/>, caption (B, S, D) projected, caption bias
    /// (B, 1, 1, S) or null → (B, N, D).
    /// </summary>
    public override Tensor forward(Tensor x, Tensor modulation, Tensor caption, Tensor? captionBias) =>
        Forward(x, modulation, caption, captionBias, 0, FullAttentionRunner.Instance);

    /// <summary>
    /// The block with its self-attention and gated feed-forward computed by <paramref name="runner"/> as layer
    /// <paramref name="layer"/> (DiTFastAttn; block-scope plans share the feed-forward).
    /// </summary>
    /// <param name="x">Tokens (B, N, D).</param>
    /// <param name="modulation">(B, 6D) from <see cref="AdaLayerNormSingle"/>.</param>
    /// <param name="caption">Projected caption (B, S, D).</param>
    /// <param name="captionBias">(B, 1, 1, S) or null.</param>
    /// <param name="layer">The block's index.</param>
    /// <param name="runner">The self-attention and block-scope runner.</param>
    /// <param name="crossCache">The generation's cross-attention keys/values (null: projected on every call).</param>
    public Tensor Forward(Tensor x, Tensor modulation, Tensor caption, Tensor? captionBias, int layer, ISelfAttentionRunner runner,
        CrossAttentionCache? crossCache = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        using var scope = NewDisposeScope();
        long b = x.shape[0];
        var mods = scale_shift_table.unsqueeze(0).Plus(modulation.view(b, 6, -1)).chunk(6, 1);   // 6 × (B, 1, D)
        var (shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp) = (mods[0], mods[1], mods[2], mods[3], mods[4], mods[5]);

        // A runner that returns a cached attention or MLP output does not read its input: x stands in (same shape).
        var attnIn = runner.ReusesAttention(layer, x.shape) ? x : (norm1.forward(x) * scaleMsa.Plus(1)).Plus(shiftMsa);   // (B, N, D)
        x = x.Plus(gateMsa * runner.Run(layer, attn1, attnIn));
        x = x.Plus(runner.RunCrossAttention(layer, h => attn2.Forward(h, caption, captionBias, crossCache, layer), x));   // no norm, no gate
        var ffIn = runner.ReusesFeedForward(layer, x.shape) ? x : (norm2.forward(x) * scaleMlp.Plus(1)).Plus(shiftMlp);
        x = x.Plus(runner.RunFeedForward(layer, ff.forward, ffIn, gateMlp));               // (B, N, D), block-scope MLP sharing
        return x.MoveToOuterDisposeScope();
    }
}
