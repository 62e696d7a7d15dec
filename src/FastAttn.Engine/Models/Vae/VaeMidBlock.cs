using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.Vae;

/// <summary>The lowest-resolution block: resnet → self-attention → resnet.</summary>
public sealed class VaeMidBlock : Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<VaeAttentionBlock> attentions;

    /// <summary>Creates the block for <paramref name="channels"/> channels.</summary>
    public VaeMidBlock(int channels, int groups, bool withAttention) : base(nameof(VaeMidBlock))
    {
        resnets = new ModuleList<ResnetBlock2D>(new ResnetBlock2D(channels, channels, groups), new ResnetBlock2D(channels, channels, groups));
        attentions = withAttention ? new ModuleList<VaeAttentionBlock>(new VaeAttentionBlock(channels, groups)) : new ModuleList<VaeAttentionBlock>();
        RegisterComponents();
    }

    /// <summary>(B, C, H, W) → (B, C, H, W).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = resnets[0].forward(x);
        foreach (var a in attentions) x = a.forward(x);
        return resnets[1].forward(x).MoveToOuterDisposeScope();
    }
}
