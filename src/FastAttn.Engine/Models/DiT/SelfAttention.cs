using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>
/// Multi-head self-attention with a fused QKV projection (timm's Attention, as used by DiT). Exposes its stages
/// (<see cref="ProjectQkv"/>, <see cref="Project"/>) so that compressed attention methods can reuse them.
/// </summary>
public sealed class SelfAttention : Module<Tensor, Tensor>, Attention.IAttentionProjections
{
    private readonly Linear qkv;
    private readonly Linear proj;

    /// <summary>Number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Creates the module for width <paramref name="dim"/>.</summary>
    public SelfAttention(int dim, int numHeads) : base(nameof(SelfAttention))
    {
        NumHeads = numHeads;
        HeadDim = dim / numHeads;
        qkv = Linear(dim, dim * 3, hasBias: true);
        proj = Linear(dim, dim, hasBias: true);
        RegisterComponents();
    }

    /// <summary>(B, N, D) → q, k, v each (B, H, N, d).</summary>
    public (Tensor Q, Tensor K, Tensor V) ProjectQkv(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        var parts = qkv.forward(x).reshape(b, n, 3, NumHeads, HeadDim).permute(2, 0, 3, 1, 4).unbind(0); // 3 × (B, H, N, d)
        return (parts[0].MoveToOuterDisposeScope(), parts[1].MoveToOuterDisposeScope(), parts[2].MoveToOuterDisposeScope());
    }

    /// <summary>Per-head outputs (B, H, N, d) → merged heads through the output projection, (B, N, D).</summary>
    public Tensor Project(Tensor heads)
    {
        using var scope = NewDisposeScope();
        long b = heads.shape[0], n = heads.shape[2];
        var merged = heads.transpose(1, 2).reshape(b, n, NumHeads * HeadDim);            // (B, N, D)
        return proj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Attend(Tensor x) => forward(x);

    /// <summary>Full attention: (B, N, D) → (B, N, D).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = ProjectQkv(x);                                                     // (B, H, N, d)
        var o = functional.scaled_dot_product_attention(q, k, v);                         // (B, H, N, d)
        return Project(o).MoveToOuterDisposeScope();                                       // (B, N, D)
    }
}
