using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The plan-search loss (paper A.2): mean over all elements of clip(|O − O'| / (max(|O|, |O'|) + 1e-6), 0, 10).
/// (The reference code divides by max(O, O') without absolute values; the paper's form is used here.)
/// </summary>
public static class MeanRelativeAbsoluteError
{
    /// <summary>The loss between the uncompressed output <paramref name="reference"/> and <paramref name="compressed"/>.</summary>
    public static double Compute(Tensor reference, Tensor compressed)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(compressed);
        using var scope = NewDisposeScope();
        var a = reference.to(ScalarType.Float32);
        var b = compressed.to(ScalarType.Float32);
        var relative = (a - b).abs() / maximum(a.abs(), b.abs()).Plus(1e-6);
        return relative.clamp(Of(0), Of(10)).mean().item<float>();
    }
}
