using static TorchSharp.torch;

namespace FastAttn.Engine.Models.TextEncoder;

/// <summary>
/// T5's bidirectional relative-position buckets (half the buckets per direction; exact up to a quarter, then logarithmic up to the max distance).
/// </summary>
public static class T5RelativePosition
{
    /// <summary>The bucket of each relative position (key − query), as Hugging Face's <c>_relative_position_bucket</c>.</summary>
    public static Tensor Buckets(Tensor relativePosition, int numBuckets = 32, int maxDistance = 128)
    {
        ArgumentNullException.ThrowIfNull(relativePosition);
        using var scope = NewDisposeScope();
        int half = numBuckets / 2, maxExact = half / 2;
        var buckets = relativePosition.gt(0).to(ScalarType.Int64) * half;
        var distance = relativePosition.abs();
        var isSmall = distance.lt(maxExact);
        var large = (log(distance.to(ScalarType.Float32) / maxExact) / Math.Log(maxDistance / (double)maxExact) * (half - maxExact))
            .to(ScalarType.Int64) + maxExact;
        large = minimum(large, full_like(large, half - 1));
        return (buckets + where(isSmall, distance, large)).MoveToOuterDisposeScope();
    }
}
