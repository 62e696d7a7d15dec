using FastAttn.Engine.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>A DiT block with adaptive LayerNorm-zero (adaLN-Zero) conditioning: gated self-attention and MLP.</summary>
public sealed class DiTBlock : Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly SelfAttention attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly Sequential adaLN_modulation;

    /// <summary>Creates block for <paramref name="config"/>.</summary>
    public DiTBlock(DiTConfig config) : base(nameof(DiTBlock))
    {
        int d = config.HiddenSize;
        norm1 = LayerNorm(d, eps: 1e-6, elementwise_affine: false);
        attn = new SelfAttention(d, config.NumHeads);
        norm2 = LayerNorm(d, eps: config.MlpNormEps, elementwise_affine: false);
        mlp = new Mlp(d, (int)(d * config.MlpRatio));
        adaLN_modulation = Sequential(SiLU(), Linear(d, 6 * d));
        RegisterComponents();
    }

    /// <summary>The block's self-attention module.</summary>
    public SelfAttention Attention => attn;

    /// <summary>Full-attention forward: (N, T, D) tokens, (N, D) conditioning → (N, T, D).</summary>
    public override Tensor forward(Tensor x, Tensor c) => Forward(x, c, 0, FullAttentionRunner.Instance);

    /// <summary>Forward with the self-attention computed by <paramref name="runner"/> as layer <paramref name="layer"/>.</summary>
    public Tensor Forward(Tensor x, Tensor c, int layer, ISelfAttentionRunner runner)
    {
        using var scope = NewDisposeScope();
        var mods = adaLN_modulation.forward(c).chunk(6, 1);                                 // 6 × (N, D)
        var (shiftMsa, scaleMsa, gateMsa) = (mods[0], mods[1], mods[2]);
        var (shiftMlp, scaleMlp, gateMlp) = (mods[3], mods[4], mods[5]);
        var attnIn = Modulation.Modulate(norm1.forward(x), shiftMsa, scaleMsa);            // (N, T, D)
        var attnOut = runner.Run(layer, attn, attnIn);                                      // (N, T, D)
        x = x + gateMsa.unsqueeze(1) * attnOut;                                             // (N, T, D)
        var mlpIn = Modulation.Modulate(norm2.forward(x), shiftMlp, scaleMlp);             // (N, T, D)
        x = x + gateMlp.unsqueeze(1) * mlp.forward(mlpIn);                                  // (N, T, D)
        return x.MoveToOuterDisposeScope();
    }
}
