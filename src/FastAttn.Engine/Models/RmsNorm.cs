using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models;

/// <summary>
/// RMS norm over the last dimension, computed in fp32, with a learned scale and no mean subtraction or bias:
/// weight · x / √(mean(x²) + ε). T5's layer norm and the LlamaRMSNorm that STDiT2 applies to queries and keys.
/// </summary>
public sealed class RmsNorm : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    /// <summary>Creates the norm for width <paramref name="dim"/> (its scale starts at one).</summary>
    public RmsNorm(int dim, double eps = 1e-6) : base(nameof(RmsNorm))
    {
        weight = Parameter(ones(dim));
        _eps = eps;
        RegisterComponents();
    }

    /// <summary>(…, d) → (…, d), in the input's dtype.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var normed = (x32 * rsqrt(x32.pow(Of(2)).mean([-1], keepdim: true).Plus(_eps))).to(x.dtype);
        return (weight.to(x.dtype) * normed).MoveToOuterDisposeScope();
    }
}
