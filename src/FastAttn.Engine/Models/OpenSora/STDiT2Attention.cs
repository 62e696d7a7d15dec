using FastAttn.Engine.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// STDiT2's self-attention (spatial over a frame's tokens, or temporal over a location's frames): fused qkv with bias,
/// rotary embedding on q and k (temporal only) applied BEFORE the q/k RMS norm — the v1.1 order the released weights
/// were trained with — then scaled dot-product attention and the output projection.
/// </summary>
public sealed class STDiT2Attention : Module<Tensor, Tensor>, IAttentionProjections
{
    private readonly Linear qkv;
    private readonly RmsNorm? q_norm;
    private readonly RmsNorm? k_norm;
    private readonly Linear proj;
    private readonly RotaryEmbedding? _rope;
    private readonly int _heads;

    /// <summary>Creates the attention; <paramref name="rope"/> is the model's shared rotary embedding (temporal attention only).</summary>
    public STDiT2Attention(int dim, int heads, bool qkNorm, RotaryEmbedding? rope) : base(nameof(STDiT2Attention))
    {
        _heads = heads;
        qkv = Linear(dim, 3 * dim, hasBias: true);
        if (qkNorm)
        {
            q_norm = new RmsNorm(dim / heads);
            k_norm = new RmsNorm(dim / heads);
        }
        proj = Linear(dim, dim, hasBias: true);
        RegisterComponents();
        _rope = rope;                                                                        // owned by the model (key rope.freqs)
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Attend(x);

    /// <inheritdoc />
    public (Tensor Q, Tensor K, Tensor V) ProjectQkv(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var parts = qkv.forward(x).view(b, n, 3, _heads, c / _heads).permute(2, 0, 3, 1, 4);   // (3, B, H, N, d)
        Tensor q = parts[0], k = parts[1], v = parts[2];
        if (_rope is not null)
        {
            q = _rope.forward(q);
            k = _rope.forward(k);
        }
        if (q_norm is not null) q = q_norm.forward(q);
        if (k_norm is not null) k = k_norm.forward(k);
        return (q.MoveToOuterDisposeScope(), k.MoveToOuterDisposeScope(), v.contiguous().MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public Tensor Project(Tensor heads)
    {
        using var scope = NewDisposeScope();
        long b = heads.shape[0], n = heads.shape[2];
        return proj.forward(heads.transpose(1, 2).reshape(b, n, -1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Attend(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = ProjectQkv(x);
        return Project(functional.scaled_dot_product_attention(q, k, v)).MoveToOuterDisposeScope();
    }
}
