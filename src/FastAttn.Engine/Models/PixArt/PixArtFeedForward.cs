using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.PixArt;

/// <summary>diffusers' <c>FeedForward</c> with GELU(tanh): <c>net.0.proj</c> (D → 4D), GELU, dropout, <c>net.2</c> (4D → D).</summary>
public sealed class PixArtFeedForward : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> net;

    /// <summary>Creates the feed-forward for width <paramref name="dim"/>.</summary>
    public PixArtFeedForward(int dim, int mult = 4) : base(nameof(PixArtFeedForward))
    {
        net = new ModuleList<Module<Tensor, Tensor>>(new GeluTanhProjection(dim, dim * mult), Identity(), Linear(dim * mult, dim, hasBias: true));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var hidden = net[0].forward(x);
        return net[2].forward(hidden);
    }

    /// <summary>diffusers' <c>GELU</c> activation module: a projection (<c>proj</c>) followed by GELU(tanh).</summary>
    private sealed class GeluTanhProjection : Module<Tensor, Tensor>
    {
        private readonly Linear proj;

        public GeluTanhProjection(int dimIn, int dimOut) : base("GELU")
        {
            proj = Linear(dimIn, dimOut, hasBias: true);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var h = proj.forward(x);
            return functional.gelu(h, TorchSharp.Modules.GELU.Approximate.tanh);
        }
    }
}
