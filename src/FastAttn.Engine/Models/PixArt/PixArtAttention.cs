using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.PixArt;

/// <summary>
/// diffusers' <c>Attention</c> as PixArt uses it: separate q/k/v projections with bias, output projection
/// <c>to_out.0</c>. Self-attention when no context is given (keys/values from the input), cross-attention otherwise,
/// with an optional additive bias over the context tokens.
/// </summary>
public sealed class PixArtAttention : Module<Tensor, Tensor>, Attention.IAttentionProjections
{
#pragma warning disable IDE1006 // field names are the checkpoint's keys
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<Module<Tensor, Tensor>> to_out;
#pragma warning restore IDE1006

    /// <summary>Number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Creates the module: queries from width <paramref name="dim"/>, keys/values from <paramref name="contextDim"/>.</summary>
    public PixArtAttention(int dim, int numHeads, int headDim, int? contextDim = null) : base(nameof(PixArtAttention))
    {
        NumHeads = numHeads;
        HeadDim = headDim;
        int inner = numHeads * headDim;
        to_q = Linear(dim, inner, hasBias: true);
        to_k = Linear(contextDim ?? dim, inner, hasBias: true);
        to_v = Linear(contextDim ?? dim, inner, hasBias: true);
        to_out = new ModuleList<Module<Tensor, Tensor>>(Linear(inner, dim, hasBias: true));
        RegisterComponents();
    }

    /// <summary>Self-attention of (B, N, D).</summary>
    public override Tensor forward(Tensor x) => Forward(x, null, null);

    /// <inheritdoc />
    public (Tensor Q, Tensor K, Tensor V) ProjectQkv(Tensor x) => ProjectQkv(x, null);

    /// <inheritdoc />
    public Tensor Attend(Tensor x) => Forward(x, null, null);

    /// <summary>(B, N, D) queries → q (B, H, N, d); keys and values from <paramref name="context"/> (B, S, C), or from x.</summary>
    public (Tensor Q, Tensor K, Tensor V) ProjectQkv(Tensor x, Tensor? context)
    {
        var kv = context ?? x;
        return (Heads(to_q.forward(x)), Heads(to_k.forward(kv)), Heads(to_v.forward(kv)));
    }

    /// <summary>(B, H, N, d) attention heads → (B, N, D) through the output projection.</summary>
    public Tensor Project(Tensor heads)
    {
        using var merged = heads.transpose(1, 2).flatten(2);                                // (B, N, H·d)
        return to_out[0].forward(merged);
    }

    /// <summary>
    /// Attention of x (B, N, D) over <paramref name="context"/> (B, S, C) or itself; <paramref name="bias"/> (B, 1, 1, S)
    /// is added to the scores (0 keep, −10000 drop, as diffusers).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? context, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = ProjectQkv(x, context);                                             // (B, H, N|S, d)
        var heads = functional.scaled_dot_product_attention(q, k, v, bias);                 // (B, H, N, d)
        return Project(heads).MoveToOuterDisposeScope();                                    // (B, N, D)
    }

    /// <summary>
    /// Cross-attention of x (B, N, D) over <paramref name="context"/> (B, S, C) with layer <paramref name="layer"/>'s keys
    /// and values from <paramref name="cache"/> (projected once per generation; the same values as <see cref="Forward(Tensor, Tensor?, Tensor?)"/>).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor context, Tensor? bias, CrossAttentionCache? cache, int layer)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (cache is null) return Forward(x, context, bias);
        using var scope = NewDisposeScope();
        var q = Heads(to_q.forward(x));                                                     // (B, H, N, d)
        var (k, v) = cache.GetOrAdd(layer, () => (Heads(to_k.forward(context)), Heads(to_v.forward(context))));   // (B, H, S, d)
        var heads = functional.scaled_dot_product_attention(q, k, v, bias);                 // (B, H, N, d)
        return Project(heads).MoveToOuterDisposeScope();                                    // (B, N, D)
    }

    private Tensor Heads(Tensor t) => t.view(t.shape[0], t.shape[1], NumHeads, HeadDim).transpose(1, 2);
}
