using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.Vae;

/// <summary>Single-head spatial self-attention with GroupNorm and a residual connection (the VAE mid block's).</summary>
public sealed class VaeAttentionBlock : Module<Tensor, Tensor>
{
    private readonly GroupNorm group_norm;
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<Linear> to_out;

    /// <summary>Creates the block for <paramref name="channels"/> channels.</summary>
    public VaeAttentionBlock(int channels, int groups) : base(nameof(VaeAttentionBlock))
    {
        group_norm = GroupNorm(groups, channels, eps: 1e-6);
        to_q = Linear(channels, channels);
        to_k = Linear(channels, channels);
        to_v = Linear(channels, channels);
        to_out = new ModuleList<Linear>(Linear(channels, channels));
        RegisterComponents();
    }

    /// <summary>(B, C, H, W) → (B, C, H, W).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var tokens = group_norm.forward(x).reshape(b, c, h * w).transpose(1, 2);          // (B, HW, C)
        var q = to_q.forward(tokens).unsqueeze(1);                                         // (B, 1, HW, C)
        var k = to_k.forward(tokens).unsqueeze(1);
        var v = to_v.forward(tokens).unsqueeze(1);
        var o = functional.scaled_dot_product_attention(q, k, v).squeeze(1);               // (B, HW, C)
        var projected = to_out[0].forward(o).transpose(1, 2).reshape(b, c, h, w);         // (B, C, H, W)
        return projected.Plus(x).MoveToOuterDisposeScope();
    }
}
