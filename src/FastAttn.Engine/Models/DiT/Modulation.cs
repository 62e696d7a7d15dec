using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Models.DiT;

/// <summary>adaLN modulation helpers: x·(1 + scale) + shift with per-sample scale and shift.</summary>
internal static class Modulation
{
    /// <summary>(N, T, D) x, (N, D) shift and scale → (N, T, D).</summary>
    public static Tensor Modulate(Tensor x, Tensor shift, Tensor scale)
    {
        using var s = scale.unsqueeze(1);
        using var sh = shift.unsqueeze(1);
        return ModulateRows(x, sh, s);
    }

    /// <summary>(N, T, D) x, (N, 1, D) shift and scale → (N, T, D) (no unsqueeze: the rows come from <see cref="Rows"/>).</summary>
    public static Tensor ModulateRows(Tensor x, Tensor shift, Tensor scale)
    {
        using var s = scale.Plus(1.0);                                                         // (N, 1, D)
        using var xs = x * s;
        return xs.Plus(shift);
    }

    /// <summary>The (N, k·D) output of an adaLN linear as k views (N, 1, D), in one call.</summary>
    public static Tensor[] Rows(Tensor modulation, int parts)
    {
        long n = modulation.shape[0], d = modulation.shape[1] / parts;
        using var view = modulation.view(n, parts, 1, d);
        return view.unbind(1);
    }
}
