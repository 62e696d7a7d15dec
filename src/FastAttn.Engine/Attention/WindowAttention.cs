using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Attention;

/// <summary>
/// Window attention kernels that cost what they compute: no full attention with a mask. Queries are processed in
/// blocks; each block attends only its own key range, taken as zero-copy strided views of k and v, through the fused
/// attention kernel.
/// </summary>
public static class WindowAttention
{
    /// <summary>Window attention of q, k, v (B, H, N, d) under <paramref name="spec"/> → (B, H, N, d).</summary>
    public static Tensor Compute(Tensor q, Tensor k, Tensor v, WindowSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Semantics == WindowSemantics.BlockBand
            ? BlockBand(q, k, v, spec.BlockSize, spec.BlockRadius)
            : TokenBand(q, k, v, spec.HalfWidth, spec.BlockSize);
    }

    /// <summary>
    /// Block band: query block i (size b) attends keys [(i−r)·b, (i+r+1)·b) clipped to the sequence. Each query block is
    /// one fused attention call on strided views of q, k and v (no copies, no mask), written into one output.
    /// </summary>
    public static Tensor BlockBand(Tensor q, Tensor k, Tensor v, int blockSize, int radius)
    {
        if (blockSize <= 0) throw new ArgumentOutOfRangeException(nameof(blockSize));
        using var scope = NewDisposeScope();
        long n = q.shape[2];
        var output = empty(q.shape, q.dtype, q.device);                                  // (B, H, N, d)
        for (long qs = 0; qs < n; qs += blockSize)
        {
            long i = qs / blockSize, qe = Math.Min(n, qs + blockSize);
            long ks = Math.Max(0, (i - radius) * blockSize), ke = Math.Min(n, (i + radius + 1) * blockSize);
            using var o = functional.scaled_dot_product_attention(q.narrow(2, qs, qe - qs), k.narrow(2, ks, ke - ks), v.narrow(2, ks, ke - ks));
            output.narrow(2, qs, qe - qs).copy_(o);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Token band: query i attends keys i−w … i+w (the reference's semantics). Queries go in blocks of
    /// <paramref name="queryBlock"/>; each block attends its b + 2w candidate keys (strided views, no copies) through the
    /// fused attention kernel with a small boolean band mask (shared by all interior blocks), so only the candidate keys
    /// are computed.
    /// </summary>
    public static Tensor TokenBand(Tensor q, Tensor k, Tensor v, int halfWidth, int queryBlock)
    {
        using var scope = NewDisposeScope();
        long n = q.shape[2], w = halfWidth, qb = Math.Max(1, queryBlock);
        if (w >= n - 1) return functional.scaled_dot_product_attention(q, k, v).MoveToOuterDisposeScope();
        var output = empty(q.shape, q.dtype, q.device);                                  // (B, H, N, d)
        Tensor? interiorMask = null;
        for (long qs = 0; qs < n; qs += qb)
        {
            long qe = Math.Min(n, qs + qb);
            long ks = Math.Max(0, qs - w), ke = Math.Min(n, qe + w);
            bool interior = qs - w >= 0 && qe + w <= n && qe - qs == qb;
            var mask = interior ? interiorMask ??= BandMask(qb, qb + 2 * w, w, w, q.device) : BandMask(qe - qs, ke - ks, qs - ks, w, q.device);
            using var o = functional.scaled_dot_product_attention(q.narrow(2, qs, qe - qs), k.narrow(2, ks, ke - ks), v.narrow(2, ks, ke - ks), mask);
            output.narrow(2, qs, qe - qs).copy_(o);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>(rows, cols) boolean mask: true where |(r + rowOffset) − c| ≤ w.</summary>
    private static Tensor BandMask(long rows, long cols, long rowOffset, long w, Device device)
    {
        var r = Arange(rows, ScalarType.Int64, device).unsqueeze(1).Plus(rowOffset);
        var c = Arange(cols, ScalarType.Int64, device).unsqueeze(0);
        return (r - c).abs().AtMost(w);
    }

    /// <summary>(query, key) pairs the block-band kernel computes for <paramref name="n"/> tokens.</summary>
    public static long BlockBandPairs(long n, long blockSize, long radius)
    {
        long pairs = 0;
        for (long s = 0; s < n; s += blockSize)
        {
            long i = s / blockSize;
            long ks = Math.Max(0, (i - radius) * blockSize), ke = Math.Min(n, (i + radius + 1) * blockSize);
            pairs += (Math.Min(n, s + blockSize) - s) * (ke - ks);
        }
        return pairs;
    }

    /// <summary>(query, key) pairs inside a token band of half-width <paramref name="w"/>.</summary>
    public static long TokenBandPairs(long n, long w)
    {
        long pairs = 0;
        for (long i = 0; i < n; i++) pairs += Math.Min(n - 1, i + w) - Math.Max(0, i - w) + 1;
        return pairs;
    }

    /// <summary>(query, key) pairs the token-band kernel computes (its candidate key ranges include masked keys).</summary>
    public static long TokenBandComputedPairs(long n, long w, long queryBlock)
    {
        if (w >= n - 1) return n * n;
        long pairs = 0;
        for (long s = 0; s < n; s += queryBlock)
        {
            long e = Math.Min(n, s + queryBlock);
            pairs += (e - s) * (Math.Min(n, e + w) - Math.Max(0, s - w));
        }
        return pairs;
    }
}
