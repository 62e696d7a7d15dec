using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Windows;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Attention;

/// <summary>Every window implementation against the dense masked reference of the same window (≤ 1e-5 relative).</summary>
public class WindowImplementationTests
{
    private const double Tolerance = 1e-5;

    private static (Tensor Q, Tensor K, Tensor V) Random(long n, long seed)
    {
        using var g = new TorchSharp.torch.Generator((ulong)seed);
        return (randn([2, 3, n, 16], generator: g), randn([2, 3, n, 16], generator: g), randn([2, 3, n, 16], generator: g));
    }

    /// <summary>Sizes per semantics, with N not a multiple of the block and windows wider than the sequence.</summary>
    public static TheoryData<WindowSemantics, WindowImplementation, int, int> Cases()
    {
        var data = new TheoryData<WindowSemantics, WindowImplementation, int, int>();
        foreach (var semantics in new[] { WindowSemantics.TokenBand, WindowSemantics.BlockBand })
            foreach (var impl in WindowImplementations.For(semantics))
                foreach (var (n, w) in new[] { (64, 8), (100, 12), (37, 5), (250, 31), (256, 32), (20, 30), (16, 40) })
                    data.Add(semantics, impl, n, w);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryImplementationMatchesTheDenseReference(WindowSemantics semantics, WindowImplementation implementation, int n, int w)
    {
        var spec = WindowSpec.ForTokens(n, semantics, w);
        var (q, k, v) = Random(n, n * 31 + w);
        using var kernel = WindowImplementations.Prepare(implementation, spec, n);
        using var expected = semantics == WindowSemantics.TokenBand
            ? DenseWindowReference.TokenBand(q, k, v, spec.HalfWidth)
            : DenseWindowReference.BlockBand(q, k, v, spec.BlockSize, spec.BlockRadius);
        using var actual = kernel.Compute(q, k, v);
        TensorAssert.RelativeClose(expected, actual, Tolerance, $"{implementation} {semantics} n={n} w={w} b={spec.BlockSize}");
    }

    [Fact]
    public void GatheredHandlesRadiusTwoAndPartialBlocks()
    {
        var spec = new WindowSpec(WindowSemantics.BlockBand, 20, 8, 2);
        var (q, k, v) = Random(61, 5);
        using var kernel = WindowImplementations.Prepare(WindowImplementation.Gathered, spec, 61);
        using var expected = DenseWindowReference.BlockBand(q, k, v, 8, 2);
        using var actual = kernel.Compute(q, k, v);
        TensorAssert.RelativeClose(expected, actual, Tolerance, "gathered block n=61 b=8 r=2");
    }

    [Theory]
    [InlineData(300, 40)]      // token query block 32: many edge blocks on each side
    [InlineData(1100, 970)]    // w ≥ 960: token query block 192, N not a multiple of it
    public void GatheredTokenBandUsesItsOwnQueryBlockAndStaysExact(int n, int w)
    {
        var spec = WindowSpec.ForTokens(n, WindowSemantics.TokenBand, w);
        var (q, k, v) = Random(n, n + w);
        using var kernel = WindowImplementations.Prepare(WindowImplementation.Gathered, spec, n);
        using var expected = DenseWindowReference.TokenBand(q, k, v, w);
        using var actual = kernel.Compute(q, k, v);
        TensorAssert.RelativeClose(expected, actual, Tolerance, $"gathered token n={n} w={w} qb={GatheredWindowKernel.TokenQueryBlock(w)}");
        Assert.NotEqual(spec.BlockSize, GatheredWindowKernel.TokenQueryBlock(w));
    }

    [Fact]
    public void ImplementationsRefuseWindowsTheyDoNotCompute()
    {
        var token = WindowSpec.ForTokens(64, WindowSemantics.TokenBand);
        var block = WindowSpec.ForTokens(64, WindowSemantics.BlockBand);
        Assert.Throws<ArgumentException>(() => WindowImplementations.Prepare(WindowImplementation.BlockBand, token, 64));
        Assert.Throws<ArgumentException>(() => WindowImplementations.Prepare(WindowImplementation.TokenBand, block, 64));
        using var dense = WindowImplementations.Prepare(WindowImplementation.DenseMasked, block, 64);
        var (q, k, v) = Random(32, 1);
        Assert.Throws<ArgumentException>(() => dense.Compute(q, k, v));
    }
}
