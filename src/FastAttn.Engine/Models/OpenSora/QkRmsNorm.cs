using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.OpenSora;

/// <summary>RMS norm over a head's width in fp32 (LlamaRMSNorm, eps 1e-6), as STDiT2 applies to queries and keys.</summary>
public sealed class QkRmsNorm : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    /// <summary>Creates the norm for width <paramref name="dim"/>.</summary>
    public QkRmsNorm(int dim, double eps = 1e-6) : base(nameof(QkRmsNorm))
    {
        weight = Parameter(ones(dim));
        _eps = eps;
        RegisterComponents();
    }

    /// <summary>(…, d) → (…, d).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.to(ScalarType.Float32);
        h = h * rsqrt(h.pow(2).mean([-1], keepdim: true) + _eps);
        return (weight * h.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
