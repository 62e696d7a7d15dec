using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

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
        var buckets = relativePosition.gt(Of(0)).to(ScalarType.Int64).Times(half);
        var distance = relativePosition.abs();
        var isSmall = distance.lt(Of(maxExact));
        var large = log(distance.to(ScalarType.Float32).Over(maxExact)).Over(Math.Log(maxDistance / (double)maxExact)).Times(half - maxExact)
            .to(ScalarType.Int64).Plus(maxExact);
        large = minimum(large, full_like(large, Of(half - 1)));
        return buckets.Plus(where(isSmall, distance, large)).MoveToOuterDisposeScope();
    }
}
