using FastAttn.Engine.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
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
    private readonly Func<Tensor, Tensor> _modulationLinear;                                 // adaLN_modulation's Linear

    /// <summary>Creates block for <paramref name="config"/>.</summary>
    public DiTBlock(DiTConfig config) : base(nameof(DiTBlock))
    {
        int d = config.HiddenSize;
        norm1 = LayerNorm(d, eps: 1e-6, elementwise_affine: false);
        attn = new SelfAttention(d, config.NumHeads);
        norm2 = LayerNorm(d, eps: config.MlpNormEps, elementwise_affine: false);
        mlp = new Mlp(d, (int)(d * config.MlpRatio));
        var linear = Linear(d, 6 * d);
        adaLN_modulation = Sequential(SiLU(), linear);
        _modulationLinear = linear.forward;
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
        return ForwardActivated(x, functional.silu(c), layer, runner).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Forward"/> given SiLU(c), which a model computes once per step for all its blocks (the adaLN
    /// modulation is SiLU then Linear; the same values, fewer calls).
    /// </summary>
    internal Tensor ForwardActivated(Tensor x, Tensor activated, int layer, ISelfAttentionRunner runner)
    {
        using var scope = NewDisposeScope();
        var mods = Modulation.Rows(_modulationLinear(activated), 6);                        // 6 × (N, 1, D)
        var (shiftMsa, scaleMsa, gateMsa) = (mods[0], mods[1], mods[2]);
        var (shiftMlp, scaleMlp, gateMlp) = (mods[3], mods[4], mods[5]);
        // A runner that returns a cached attention or MLP output does not read its input: x stands in (same shape).
        var attnIn = runner.ReusesAttention(layer, x.shape) ? x
            : Modulation.ModulateRows(norm1.forward(x), shiftMsa, scaleMsa);               // (N, T, D)
        var attnOut = runner.Run(layer, attn, attnIn);                                      // (N, T, D)
        x = x.Plus(gateMsa * attnOut);                                                      // (N, T, D)
        var mlpIn = runner.ReusesFeedForward(layer, x.shape) ? x
            : Modulation.ModulateRows(norm2.forward(x), shiftMlp, scaleMlp);               // (N, T, D)
        x = x.Plus(runner.RunFeedForward(layer, mlp.forward, mlpIn, gateMlp));              // (N, T, D)
        return x.MoveToOuterDisposeScope();
    }
}
