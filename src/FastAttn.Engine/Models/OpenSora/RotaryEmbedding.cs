using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>
/// Rotary position embedding over the sequence axis as Open-Sora's temporal attention uses it (rotary_embedding_torch,
/// "lang" frequencies): position p rotates each adjacent pair (x[2i], x[2i+1]) of a head by p·freqs[i], with
/// freqs[i] = 10000^(−2i/d) — a stored (non-trained) parameter <c>freqs</c>.
/// </summary>
public sealed class RotaryEmbedding : Module<Tensor, Tensor>
{
    private readonly Parameter freqs;

    /// <summary>Creates the embedding for heads of width <paramref name="headDim"/>.</summary>
    public RotaryEmbedding(int headDim) : base(nameof(RotaryEmbedding))
    {
        if (headDim % 2 != 0) throw new ArgumentException($"Rotary embeddings need an even head width; got {headDim}.", nameof(headDim));
        using (no_grad())
        {
            var exponent = arange(Of(0), Of(headDim), Of(2), ScalarType.Float32).Over(headDim);
            freqs = Parameter(pow(10000.0, exponent).reciprocal_(), requires_grad: false);
        }
        RegisterComponents();
    }

    /// <summary>(…, T, d) → the same with position t rotating row t.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long t = x.shape[^2], d = x.shape[^1];
        var positions = Arange(t, freqs.dtype, x.device).unsqueeze(1);                     // (T, 1)
        var angles = (positions * freqs.unsqueeze(0)).repeat_interleave(2, 1).to(x.dtype);   // (T, d): f0, f0, f1, f1, …
        var pairs = x.reshape([.. x.shape[..^1], d / 2, 2]);
        var rotated = stack([-pairs.select(-1, 1), pairs.select(-1, 0)], -1).reshape(x.shape);   // (−x1, x0) per pair
        return (x * angles.cos()).Plus(rotated * angles.sin()).MoveToOuterDisposeScope();
    }
}
