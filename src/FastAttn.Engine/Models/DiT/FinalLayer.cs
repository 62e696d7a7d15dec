using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>The final adaLN-modulated LayerNorm and linear projection of each token to p·p·C_out values.</summary>
public sealed class FinalLayer : Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm_final;
    private readonly Linear linear;
    private readonly Sequential adaLN_modulation;
    private readonly Func<Tensor, Tensor> _modulationLinear;                                 // adaLN_modulation's Linear

    /// <summary>Creates the layer for <paramref name="config"/>.</summary>
    public FinalLayer(DiTConfig config) : base(nameof(FinalLayer))
    {
        int d = config.HiddenSize;
        norm_final = LayerNorm(d, eps: 1e-6, elementwise_affine: false);
        linear = Linear(d, config.PatchSize * config.PatchSize * config.OutChannels);
        var modulation = Linear(d, 2 * d);
        adaLN_modulation = Sequential(SiLU(), modulation);
        _modulationLinear = modulation.forward;
        RegisterComponents();
    }

    /// <summary>(N, T, D) tokens, (N, D) conditioning → (N, T, p·p·C_out).</summary>
    public override Tensor forward(Tensor x, Tensor c)
    {
        using var scope = NewDisposeScope();
        return ForwardActivated(x, functional.silu(c)).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="forward"/> given SiLU(c), computed once per step by the model (the same values, fewer calls).</summary>
    internal Tensor ForwardActivated(Tensor x, Tensor activated)
    {
        using var scope = NewDisposeScope();
        var mods = Modulation.Rows(_modulationLinear(activated), 2);                        // 2 × (N, 1, D)
        var h = Modulation.ModulateRows(norm_final.forward(x), mods[0], mods[1]);          // (N, T, D)
        return linear.forward(h).MoveToOuterDisposeScope();                                 // (N, T, p²·C)
    }
}
