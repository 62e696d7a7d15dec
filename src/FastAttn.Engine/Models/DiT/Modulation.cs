using static TorchSharp.torch;

namespace FastAttn.Engine.Models.DiT;

/// <summary>adaLN modulation helper: x·(1 + scale) + shift with per-sample (N, D) scale and shift.</summary>
internal static class Modulation
{
    /// <summary>(N, T, D) x, (N, D) shift and scale → (N, T, D).</summary>
    public static Tensor Modulate(Tensor x, Tensor shift, Tensor scale)
    {
        using var s = scale.unsqueeze(1) + 1.0;                                            // (N, 1, D)
        using var xs = x * s;
        using var sh = shift.unsqueeze(1);
        return xs + sh;
    }
}
