using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Attention.Windows;

/// <summary>
/// Window attention with the interior in ONE fused call: every query block whose key window lies inside the sequence
/// (K keys: (2r+1)·b for the block band, b + 2w for the token band) attends its window taken as an overlapping strided
/// view of the keys (no copy), all blocks of all heads at once — without a mask for the block band, with one (b, K)
/// band mask shared by every block for the token band. The few edge blocks are one call each over their clipped range,
/// with masks built here. For the token band the query block is the kernel's own (<see cref="TokenQueryBlock"/>), not
/// the spec's: one call runs all blocks anyway, and small blocks waste few keys (K = b + 2w against 2w + 1 used).
/// </summary>
internal sealed class GatheredWindowKernel : IWindowKernel
{
    private readonly Tensor? _interiorMask;
    private readonly List<(long Qs, long Qe, long Ks, long Ke, Tensor? Mask)> _edges = [];
    private readonly long _block, _keys, _padLeft, _first, _count;

    /// <summary>Builds the geometry and masks for <paramref name="tokens"/> tokens.</summary>
    public GatheredWindowKernel(WindowSpec spec, int tokens, Device device, ScalarType dtype)
    {
        Spec = spec;
        Tokens = tokens;
        long n = tokens;
        bool blockBand = spec.Semantics == WindowSemantics.BlockBand;
        Full = !blockBand && spec.HalfWidth >= n - 1;
        if (Full) return;
        _block = blockBand ? Math.Max(1, spec.BlockSize) : TokenQueryBlock(spec.HalfWidth);
        _padLeft = blockBand ? spec.BlockRadius * _block : spec.HalfWidth;
        _keys = blockBand ? (2L * spec.BlockRadius + 1) * _block : _block + 2L * spec.HalfWidth;
        long blocks = (n + _block - 1) / _block;
        _first = (_padLeft + _block - 1) / _block;                                   // first block whose window starts ≥ 0
        long last = Math.Min(n / _block, (n + _padLeft - _keys) / _block + 1);      // one past the last interior block
        _count = Math.Max(0, last - _first);
        if (_count > 0 && !blockBand) _interiorMask = Mask(spec, _block * _first, _block * _first - _padLeft, _block, _keys, n, device, dtype);
        for (long i = 0; i < blocks; i++)
        {
            if (i >= _first && i < _first + _count) continue;
            long qs = i * _block, qe = Math.Min(n, qs + _block);
            long ks = Math.Max(0, qs - _padLeft), ke = Math.Min(n, qs - _padLeft + _keys);
            _edges.Add((qs, qe, ks, ke, blockBand ? null : Mask(spec, qs, ks, qe - qs, ke - ks, n, device, dtype)));
        }
    }

    /// <inheritdoc />
    public WindowImplementation Implementation => WindowImplementation.Gathered;

    /// <inheritdoc />
    public WindowSpec Spec { get; }

    /// <inheritdoc />
    public int Tokens { get; }

    /// <summary>Whether the window covers the whole sequence (plain full attention).</summary>
    private bool Full { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor q, Tensor k, Tensor v)
    {
        long n = q.shape[2];
        if (n != Tokens) throw new ArgumentException($"Prepared for {Tokens} tokens; got {n}.", nameof(q));
        if (Full) return functional.scaled_dot_product_attention(q, k, v);
        using var scope = NewDisposeScope();
        long batch = q.shape[0], heads = q.shape[1], d = q.shape[3];
        var output = empty(q.shape, q.dtype, q.device);                                                    // (B, H, N, d)
        if (_count > 0)
        {
            long qs = _first * _block, ks = qs - _padLeft, span = (_count - 1) * _block + _keys;
            var qb = q.narrow(2, qs, _count * _block).reshape(batch * heads, _count, _block, d);          // (BH, m, b, d)
            var kw = k.narrow(2, ks, span).unfold(2, _keys, _block).transpose(-1, -2).reshape(batch * heads, _count, _keys, d);
            var vw = v.narrow(2, ks, span).unfold(2, _keys, _block).transpose(-1, -2).reshape(batch * heads, _count, _keys, d);
            var o = functional.scaled_dot_product_attention(qb, kw, vw, _interiorMask);                   // (BH, m, b, d)
            output.narrow(2, qs, _count * _block).copy_(o.reshape(batch, heads, _count * _block, d));
        }
        foreach (var (qs, qe, ks, ke, mask) in _edges)
        {
            using var o = functional.scaled_dot_product_attention(q.narrow(2, qs, qe - qs), k.narrow(2, ks, ke - ks), v.narrow(2, ks, ke - ks), mask);
            output.narrow(2, qs, qe - qs).copy_(o);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _interiorMask?.Dispose();
        foreach (var e in _edges) e.Mask?.Dispose();
    }

    /// <summary>
    /// The token band's query block: the fused CPU kernel works in 32-query tiles below 192 queries per call and in
    /// 64-query tiles from 192, so 32 (or w rounded up to 8 when smaller) keeps its tile and computes (32 + 2w)/(2w + 1)
    /// of the window's pairs (1.12 at w = 128, against 1.49 for the spec's b = 128); only from w ≈ 960, where 192
    /// wastes under 10%, do the larger tiles pay.
    /// </summary>
    internal static long TokenQueryBlock(int halfWidth) => halfWidth >= 960 ? 192 : Math.Min(32, (Math.Max(8, halfWidth) + 7) / 8 * 8);

    /// <summary>Additive (rows, cols) mask of queries from <paramref name="qs"/> against keys from <paramref name="ks"/>.</summary>
    private static Tensor Mask(WindowSpec spec, long qs, long ks, long rows, long cols, long n, Device device, ScalarType dtype)
    {
        var values = new float[rows * cols];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                values[r * cols + c] = ks + c < n && WindowImplementations.Allowed(spec, qs + r, ks + c) ? 0f : float.NegativeInfinity;
        using var host = tensor(values).reshape(rows, cols);
        return host.to(dtype, device).DetachFromDisposeScope();
    }
}
