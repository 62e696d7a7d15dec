using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Attention.Windows;

/// <summary>
/// Window attention as ONE fused call: queries are cut into blocks of b, each block's key window (K keys: (2r+1)·b for
/// the block band, b + 2w for the token band) is taken from the zero-padded keys as an overlapping strided view (no
/// copy), and all blocks of all heads attend at once, with one additive (blocks, b, K) mask built here that removes
/// padding and, for the token band, the keys outside each query's band.
/// </summary>
internal sealed class GatheredWindowKernel : IWindowKernel
{
    private readonly Tensor? _mask;
    private readonly long _block, _keys, _padLeft, _blocks;

    /// <summary>Builds the geometry and mask for <paramref name="tokens"/> tokens.</summary>
    public GatheredWindowKernel(WindowSpec spec, int tokens, Device device, ScalarType dtype)
    {
        Spec = spec;
        Tokens = tokens;
        long n = tokens;
        bool block = spec.Semantics == WindowSemantics.BlockBand;
        Full = !block && spec.HalfWidth >= n - 1;
        if (Full) return;
        _block = Math.Max(1, spec.BlockSize);
        _padLeft = block ? spec.BlockRadius * _block : spec.HalfWidth;
        _keys = block ? (2L * spec.BlockRadius + 1) * _block : _block + 2L * spec.HalfWidth;
        _blocks = (n + _block - 1) / _block;
        var values = new float[_blocks * _block * _keys];
        for (long b = 0; b < _blocks; b++)
            for (long r = 0; r < _block; r++)
                for (long c = 0; c < _keys; c++)
                {
                    long i = b * _block + r, j = b * _block - _padLeft + c;
                    bool ok = j >= 0 && j < n && (i >= n || WindowImplementations.Allowed(spec, i, j));
                    values[(b * _block + r) * _keys + c] = ok ? 0f : float.NegativeInfinity;
                }
        using var host = tensor(values).reshape(_blocks, _block, _keys);
        _mask = host.to(dtype, device).DetachFromDisposeScope();
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
        long batch = q.shape[0], heads = q.shape[1], d = q.shape[3], padded = _blocks * _block;
        long right = (_blocks - 1) * _block + _keys - _padLeft - n;
        var qb = functional.pad(q, [0, 0, 0, padded - n]).reshape(batch * heads, _blocks, _block, d);     // (BH, nb, b, d)
        var kw = Windows(k, right, batch * heads, d);                                                      // (BH, nb, K, d)
        var vw = Windows(v, right, batch * heads, d);
        var o = functional.scaled_dot_product_attention(qb, kw, vw, _mask);                                // (BH, nb, b, d)
        return o.reshape(batch, heads, padded, d).narrow(2, 0, n).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Each query block's key window: overlapping strided views of the zero-padded keys.</summary>
    private Tensor Windows(Tensor x, long right, long bh, long d) =>
        functional.pad(x, [0, 0, _padLeft, right]).unfold(2, _keys, _block).transpose(-1, -2).reshape(bh, _blocks, _keys, d);

    /// <inheritdoc />
    public void Dispose() => _mask?.Dispose();
}
