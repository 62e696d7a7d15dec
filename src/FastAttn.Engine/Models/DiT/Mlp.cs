using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Models.DiT;

/// <summary>The transformer MLP: Linear → GELU (tanh approximation) → Linear.</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>Creates the MLP D → hidden → D (or → <paramref name="outDim"/>).</summary>
    public Mlp(int dim, int hidden, int? outDim = null) : base(nameof(Mlp))
    {
        fc1 = Linear(dim, hidden);
        fc2 = Linear(hidden, outDim ?? dim);
        RegisterComponents();
    }

    /// <summary>(…, D) → (…, D or out).</summary>
    public override Tensor forward(Tensor x)
    {
        using var h = fc1.forward(x);                                                      // (B, N, 4D)
        using var a = functional.gelu(h, TorchSharp.Modules.GELU.Approximate.tanh);
        return fc2.forward(a);                                                             // (B, N, D)
    }
}
