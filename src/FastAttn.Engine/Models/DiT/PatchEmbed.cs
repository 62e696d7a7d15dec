using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>Image to patch tokens: a p×p convolution with stride p, flattened row-major.</summary>
public sealed class PatchEmbed : Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    /// <summary>Creates the embedding of <paramref name="inChannels"/>-channel input into width <paramref name="dim"/>.</summary>
    public PatchEmbed(int inChannels, int dim, int patchSize) : base(nameof(PatchEmbed))
    {
        proj = Conv2d(inChannels, dim, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    /// <summary>(N, C, H, W) → (N, T, D), T = (H/p)·(W/p).</summary>
    public override Tensor forward(Tensor x)
    {
        using var h = proj.forward(x);                                                     // (N, D, H/p, W/p)
        using var flat = h.flatten(2);                                                     // (N, D, T)
        return flat.transpose(1, 2).contiguous();                                           // (N, T, D)
    }
}
