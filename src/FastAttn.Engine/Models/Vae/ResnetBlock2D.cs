using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.Vae;

/// <summary>GroupNorm → SiLU → conv3×3, twice, plus a (1×1-projected when channels change) skip connection.</summary>
public sealed class ResnetBlock2D : Module<Tensor, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly GroupNorm norm2;
    private readonly Conv2d conv2;
    private readonly Conv2d? conv_shortcut;

    /// <summary>Creates the block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public ResnetBlock2D(int inChannels, int outChannels, int groups) : base(nameof(ResnetBlock2D))
    {
        norm1 = GroupNorm(groups, inChannels, eps: 1e-6);
        conv1 = Conv2d(inChannels, outChannels, 3, padding: 1);
        norm2 = GroupNorm(groups, outChannels, eps: 1e-6);
        conv2 = Conv2d(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels) conv_shortcut = Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    /// <summary>(B, C_in, H, W) → (B, C_out, H, W).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.forward(functional.silu(norm1.forward(x)));
        h = conv2.forward(functional.silu(norm2.forward(h)));
        var skip = conv_shortcut is null ? x : conv_shortcut.forward(x);
        return skip.Plus(h).MoveToOuterDisposeScope();
    }
}
