using static TorchSharp.torch;

namespace FastAttn.Engine.Attention.Windows;

/// <summary>A way to compute window attention; each computes exactly the window of its <see cref="WindowSpec"/>.</summary>
public enum WindowImplementation
{
    /// <summary>One fused call per query block over its key blocks (block-band semantics only; <see cref="WindowAttention.BlockBand"/>).</summary>
    BlockBand,

    /// <summary>One fused call per query block with a small band mask (token-band semantics only; <see cref="WindowAttention.TokenBand"/>).</summary>
    TokenBand,

    /// <summary>One fused full-attention call with a precomputed additive N×N mask (either semantics).</summary>
    DenseMasked,

    /// <summary>One fused call for all query blocks and heads over each block's gathered key window (either semantics).</summary>
    Gathered,
}

/// <summary>A window kernel prepared for one window and sequence length (its masks built once); dispose it to free them.</summary>
public interface IWindowKernel : IDisposable
{
    /// <summary>The implementation.</summary>
    WindowImplementation Implementation { get; }

    /// <summary>The window it computes.</summary>
    WindowSpec Spec { get; }

    /// <summary>The sequence length it was prepared for.</summary>
    int Tokens { get; }

    /// <summary>Window attention of q, k, v (B, H, N, d) → (B, H, N, d).</summary>
    Tensor Compute(Tensor q, Tensor k, Tensor v);
}

/// <summary>Names, applicability and construction of the <see cref="WindowImplementation"/>s.</summary>
public static class WindowImplementations
{
    /// <summary>Every implementation, in a fixed order (ties in cost go to the earlier one).</summary>
    public static IReadOnlyList<WindowImplementation> All { get; } =
        [WindowImplementation.BlockBand, WindowImplementation.TokenBand, WindowImplementation.Gathered, WindowImplementation.DenseMasked];

    /// <summary>Whether <paramref name="implementation"/> computes windows of <paramref name="semantics"/>.</summary>
    public static bool Supports(this WindowImplementation implementation, WindowSemantics semantics) => implementation switch
    {
        WindowImplementation.BlockBand => semantics == WindowSemantics.BlockBand,
        WindowImplementation.TokenBand => semantics == WindowSemantics.TokenBand,
        _ => true,
    };

    /// <summary>The implementations that compute windows of <paramref name="semantics"/>, in <see cref="All"/>'s order.</summary>
    public static IReadOnlyList<WindowImplementation> For(WindowSemantics semantics) => All.Where(i => i.Supports(semantics)).ToArray();

    /// <summary>Short name: block, token, dense, gathered.</summary>
    public static string ToShortName(this WindowImplementation implementation) => implementation switch
    {
        WindowImplementation.BlockBand => "block",
        WindowImplementation.TokenBand => "token",
        WindowImplementation.DenseMasked => "dense",
        WindowImplementation.Gathered => "gathered",
        _ => throw new ArgumentOutOfRangeException(nameof(implementation)),
    };

    /// <summary>Prepares <paramref name="implementation"/> for <paramref name="spec"/> at <paramref name="tokens"/> tokens.</summary>
    /// <exception cref="ArgumentException">The implementation does not compute windows of the spec's semantics.</exception>
    public static IWindowKernel Prepare(WindowImplementation implementation, WindowSpec spec, int tokens, Device? device = null,
        ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (tokens <= 0) throw new ArgumentOutOfRangeException(nameof(tokens), $"Token count must be positive; got {tokens}.");
        if (!implementation.Supports(spec.Semantics))
            throw new ArgumentException($"The {implementation.ToShortName()} window implementation does not compute {spec.Semantics} windows.",
                nameof(implementation));
        device ??= CPU;
        return implementation switch
        {
            WindowImplementation.DenseMasked => new DenseMaskedWindowKernel(spec, tokens, device, dtype),
            WindowImplementation.Gathered => new GatheredWindowKernel(spec, tokens, device, dtype),
            _ => new BandWindowKernel(implementation, spec, tokens),
        };
    }

    /// <summary>Whether key <paramref name="j"/> is in query <paramref name="i"/>'s window (both inside the sequence).</summary>
    internal static bool Allowed(WindowSpec spec, long i, long j) => spec.Semantics == WindowSemantics.BlockBand
        ? Math.Abs(i / spec.BlockSize - j / spec.BlockSize) <= spec.BlockRadius
        : Math.Abs(i - j) <= spec.HalfWidth;

    /// <summary>The block- and token-band kernels of <see cref="WindowAttention"/> (nothing to prepare).</summary>
    private sealed class BandWindowKernel(WindowImplementation implementation, WindowSpec spec, int tokens) : IWindowKernel
    {
        public WindowImplementation Implementation => implementation;

        public WindowSpec Spec => spec;

        public int Tokens => tokens;

        public Tensor Compute(Tensor q, Tensor k, Tensor v) => WindowAttention.Compute(q, k, v, spec);

        public void Dispose()
        {
        }
    }
}
