using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Support;

/// <summary>Tensor comparisons with the golden data's tolerance convention.</summary>
internal static class TensorAssert
{
    /// <summary>max |a − b| / max |b| ≤ tolerance, after checking shapes.</summary>
    public static void RelativeClose(Tensor expected, Tensor actual, double tolerance, string what = "tensor")
    {
        Assert.Equal(expected.shape, actual.shape);
        using var e = expected.to(ScalarType.Float64);
        using var a = actual.to(ScalarType.Float64);
        using var diff = (a - e).abs().max();
        using var scale = e.abs().max();
        double rel = diff.item<double>() / Math.Max(scale.item<double>(), 1e-30);
        Assert.True(rel <= tolerance, $"{what}: relative error {rel:E3} > {tolerance:E1} (max abs diff {diff.item<double>():E3})");
    }

    /// <summary>Whether the two tensors have the same shape and the same values, bit for bit (an exact cache against a dense recompute).</summary>
    public static bool BitEqual(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    /// <summary>Relative error value (max |a − b| / max |b|).</summary>
    public static double RelativeError(Tensor expected, Tensor actual)
    {
        using var e = expected.to(ScalarType.Float64);
        using var a = actual.to(ScalarType.Float64);
        using var diff = (a - e).abs().max();
        using var scale = e.abs().max();
        return diff.item<double>() / Math.Max(scale.item<double>(), 1e-30);
    }
}
