using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FastAttn.Engine.Attention.Windows;

/// <summary>
/// Window attention as one fused full-attention call with a precomputed additive N×N mask (0 inside the window, −∞
/// outside): computes all N² pairs, so it pays only where per-block calls cost more than the masked-out work.
/// </summary>
internal sealed class DenseMaskedWindowKernel : IWindowKernel
{
    private readonly Tensor _mask;

    /// <summary>Builds the mask for <paramref name="tokens"/> tokens.</summary>
    public DenseMaskedWindowKernel(WindowSpec spec, int tokens, Device device, ScalarType dtype)
    {
        Spec = spec;
        Tokens = tokens;
        var values = new float[(long)tokens * tokens];
        for (long i = 0; i < tokens; i++)
            for (long j = 0; j < tokens; j++)
                values[i * tokens + j] = WindowImplementations.Allowed(spec, i, j) ? 0f : float.NegativeInfinity;
        using var host = tensor(values).reshape(tokens, tokens);
        _mask = host.to(dtype, device).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public WindowImplementation Implementation => WindowImplementation.DenseMasked;

    /// <inheritdoc />
    public WindowSpec Spec { get; }

    /// <inheritdoc />
    public int Tokens { get; }

    /// <inheritdoc />
    public Tensor Compute(Tensor q, Tensor k, Tensor v)
    {
        if (q.shape[2] != Tokens) throw new ArgumentException($"Prepared for {Tokens} tokens; got {q.shape[2]}.", nameof(q));
        return functional.scaled_dot_product_attention(q, k, v, _mask);
    }

    /// <inheritdoc />
    public void Dispose() => _mask.Dispose();
}
