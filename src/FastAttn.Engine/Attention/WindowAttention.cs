using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Attention;

/// <summary>
/// Window attention kernels that cost what they compute: no full attention with a mask. Queries are processed in
/// blocks; interior blocks see overlapping key windows through zero-copy strided views, edge blocks are computed
/// one by one on their clipped key ranges.
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
    /// Block band: query block i (size b) attends keys [(i−r)·b, (i+r+1)·b) clipped to the sequence. Interior blocks
    /// run as one fused attention call over strided key windows (batch = B·H, "heads" = blocks).
    /// </summary>
    public static Tensor BlockBand(Tensor q, Tensor k, Tensor v, int blockSize, int radius)
    {
        using var scope = NewDisposeScope();
        long b = q.shape[0], h = q.shape[1], n = q.shape[2], d = q.shape[3];
        if (blockSize <= 0) throw new ArgumentOutOfRangeException(nameof(blockSize));
        long bh = b * h;
        var q3 = q.reshape(bh, n, d);
        var k3 = k.reshape(bh, n, d).contiguous();
        var v3 = v.reshape(bh, n, d).contiguous();
        long full = n / blockSize;                                                    // complete blocks
        long interiorFirst = radius, interiorCount = full - 2L * radius;
        var pieces = new List<Tensor>();
        long nextQuery = 0;
        if (interiorCount > 1)
        {
            for (long i = 0; i < interiorFirst; i++) pieces.Add(BlockRange(q3, k3, v3, i, blockSize, radius, n));
            long window = (2L * radius + 1) * blockSize;
            var qi = q3.narrow(1, interiorFirst * blockSize, interiorCount * blockSize)
                .reshape(bh, interiorCount, blockSize, d);                           // (BH, nI, b, d)
            var kw = k3.as_strided([bh, interiorCount, window, d], [n * d, blockSize * d, d, 1]); // (BH, nI, L, d), zero copy
            var vw = v3.as_strided([bh, interiorCount, window, d], [n * d, blockSize * d, d, 1]);
            var oi = functional.scaled_dot_product_attention(qi, kw, vw);             // (BH, nI, b, d)
            pieces.Add(oi.reshape(bh, interiorCount * blockSize, d));
            nextQuery = (interiorFirst + interiorCount) * blockSize;
        }
        for (long i = nextQuery / blockSize; i * blockSize < n; i++) pieces.Add(BlockRange(q3, k3, v3, i, blockSize, radius, n));
        var output = pieces.Count == 1 ? pieces[0] : cat(pieces, 1);                  // (BH, N, d)
        return output.reshape(b, h, n, d).MoveToOuterDisposeScope();
    }

    private static Tensor BlockRange(Tensor q3, Tensor k3, Tensor v3, long block, long blockSize, long radius, long n)
    {
        long qs = block * blockSize, qe = Math.Min(n, qs + blockSize);
        long ks = Math.Max(0, (block - radius) * blockSize), ke = Math.Min(n, (block + radius + 1) * blockSize);
        return functional.scaled_dot_product_attention(q3.narrow(1, qs, qe - qs).unsqueeze(0), k3.narrow(1, ks, ke - ks).unsqueeze(0), v3.narrow(1, ks, ke - ks).unsqueeze(0))[0];
    }

    /// <summary>
    /// Token band: query i attends keys i−w … i+w (the reference's semantics). Queries go in blocks of
    /// <paramref name="queryBlock"/>; each block attends its b + 2w candidate keys (zero-copy strided windows) through
    /// the fused attention kernel with a small shared boolean band mask, so only the candidate keys are computed.
    /// </summary>
    public static Tensor TokenBand(Tensor q, Tensor k, Tensor v, int halfWidth, int queryBlock)
    {
        using var scope = NewDisposeScope();
        long b = q.shape[0], h = q.shape[1], n = q.shape[2], d = q.shape[3];
        long w = halfWidth, qb = Math.Max(1, queryBlock);
        long bh = b * h;
        var q3 = q.reshape(bh, n, d);
        var k3 = k.reshape(bh, n, d).contiguous();
        var v3 = v.reshape(bh, n, d).contiguous();
        if (w >= n - 1) return functional.scaled_dot_product_attention(q, k, v).MoveToOuterDisposeScope();
        // Interior query blocks: [s, s+qb) with s−w ≥ 0 and s+qb+w ≤ n; candidate keys [s−w, s+qb+w).
        long first = (w + qb - 1) / qb;                                               // first block with s ≥ w
        long last = (n - w) / qb - 1;                                                 // last block with s+qb+w ≤ n
        long count = last - first + 1;
        var pieces = new List<Tensor>();
        for (long i = 0; i < Math.Min(first, (n + qb - 1) / qb); i++) pieces.Add(TokenBandRange(q3, k3, v3, i * qb, Math.Min(n, (i + 1) * qb), w, n));
        long next = Math.Min(first, (n + qb - 1) / qb) * qb;
        if (count > 0)
        {
            long window = qb + 2 * w;
            long offset = (first * qb - w) * d;
            var qi = q3.narrow(1, first * qb, count * qb).reshape(bh, count, qb, d);          // (BH, nI, qb, d)
            var kw = k3.as_strided([bh, count, window, d], [n * d, qb * d, d, 1], offset);       // (BH, nI, L, d)
            var vw = v3.as_strided([bh, count, window, d], [n * d, qb * d, d, 1], offset);
            var allowed = BandBias(qb, window, w, w, q.dtype, q.device).eq(0);                   // (qb, L) boolean band
            var o = functional.scaled_dot_product_attention(qi, kw, vw, allowed);        // (BH, nI, qb, d)
            pieces.Add(o.reshape(bh, count * qb, d));
            next = (last + 1) * qb;
        }
        for (long s = next; s < n; s += qb) pieces.Add(TokenBandRange(q3, k3, v3, s, Math.Min(n, s + qb), w, n));
        var output = pieces.Count == 1 ? pieces[0] : cat(pieces, 1);
        return output.reshape(b, h, n, d).MoveToOuterDisposeScope();
    }

    private static Tensor TokenBandRange(Tensor q3, Tensor k3, Tensor v3, long qs, long qe, long w, long n)
    {
        long ks = Math.Max(0, qs - w), ke = Math.Min(n, qe + w);
        var allowed = BandBias(qe - qs, ke - ks, qs - ks, w, q3.dtype, q3.device).eq(0);      // (q, L) boolean band
        return functional.scaled_dot_product_attention(q3.narrow(1, qs, qe - qs).unsqueeze(0),
            k3.narrow(1, ks, ke - ks).unsqueeze(0), v3.narrow(1, ks, ke - ks).unsqueeze(0), allowed)[0]; // (BH, q, d)
    }

    /// <summary>(rows, cols) additive bias: 0 where |(r + rowOffset) − c| ≤ w, −∞ elsewhere.</summary>
    private static Tensor BandBias(long rows, long cols, long rowOffset, long w, ScalarType dtype, Device device)
    {
        var r = arange(rows, ScalarType.Int64, device).unsqueeze(1) + rowOffset;
        var c = arange(cols, ScalarType.Int64, device).unsqueeze(0);
        var inside = (r - c).abs() <= w;
        return zeros(rows, cols, dtype, device).masked_fill(inside.logical_not(), double.NegativeInfinity);
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
