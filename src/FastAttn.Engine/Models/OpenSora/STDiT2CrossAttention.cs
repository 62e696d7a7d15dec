using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// STDiT2's cross-attention: every token of a sample attends to that sample's kept caption tokens only (the reference's
/// block-diagonal mask); padded tokens get −∞ and contribute exactly nothing. No norm, no gate.
/// </summary>
public sealed class STDiT2CrossAttention : Module<Tensor, Tensor, Tensor>
{
    private readonly Linear q_linear;
    private readonly Linear kv_linear;
    private readonly Linear proj;
    private readonly int _heads;

    /// <summary>Creates the attention.</summary>
    public STDiT2CrossAttention(int dim, int heads) : base(nameof(STDiT2CrossAttention))
    {
        _heads = heads;
        q_linear = Linear(dim, dim, hasBias: true);
        kv_linear = Linear(dim, 2 * dim, hasBias: true);
        proj = Linear(dim, dim, hasBias: true);
        RegisterComponents();
    }

    /// <summary>x (B, N, C), projected caption (B, L, C), all kept.</summary>
    public override Tensor forward(Tensor x, Tensor context) => Forward(x, context, null);

    /// <summary>x (B, N, C), projected caption (B, L, C), key bias (B, 1, 1, L) of 0 / −∞ or null → (B, N, C).</summary>
    public Tensor Forward(Tensor x, Tensor context, Tensor? keyBias) => Forward(x, context, keyBias, null, 0);

    /// <summary>
    /// <see cref="Forward(Tensor, Tensor, Tensor?)"/> with layer <paramref name="layer"/>'s keys and values from
    /// <paramref name="cache"/> (projected once per generation; the same values); null: projected here.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor context, Tensor? keyBias, CrossAttentionCache? cache, int layer)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2], l = context.shape[1];
        int d = (int)c / _heads;
        var q = q_linear.forward(x).view(b, n, _heads, d).transpose(1, 2);                    // (B, H, N, d)
        (Tensor K, Tensor V) Project()
        {
            var kv = kv_linear.forward(context).view(b, l, 2, _heads, d).permute(2, 0, 3, 1, 4);  // (2, B, H, L, d)
            return (kv[0], kv[1]);
        }
        var (k, v) = cache is null ? Project() : cache.GetOrAdd(layer, Project);
        var o = functional.scaled_dot_product_attention(q, k, v, attn_mask: keyBias);
        return proj.forward(o.transpose(1, 2).reshape(b, n, c)).MoveToOuterDisposeScope();
    }
}
