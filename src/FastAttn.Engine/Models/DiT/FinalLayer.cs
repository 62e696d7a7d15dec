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

    /// <summary>Creates the layer for <paramref name="config"/>.</summary>
    public FinalLayer(DiTConfig config) : base(nameof(FinalLayer))
    {
        int d = config.HiddenSize;
        norm_final = LayerNorm(d, eps: 1e-6, elementwise_affine: false);
        linear = Linear(d, config.PatchSize * config.PatchSize * config.OutChannels);
        adaLN_modulation = Sequential(SiLU(), Linear(d, 2 * d));
        RegisterComponents();
    }

    /// <summary>(N, T, D) tokens, (N, D) conditioning → (N, T, p·p·C_out).</summary>
    public override Tensor forward(Tensor x, Tensor c)
    {
        using var scope = NewDisposeScope();
        var mods = adaLN_modulation.forward(c).chunk(2, 1);                                 // 2 × (N, D)
        var h = Modulation.Modulate(norm_final.forward(x), mods[0], mods[1]);              // (N, T, D)
        return linear.forward(h).MoveToOuterDisposeScope();                                 // (N, T, p²·C)
    }
}
