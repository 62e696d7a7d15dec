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

    public static TheoryData<WindowImplementation, int, int> TokenCases()
    {
        var data = new TheoryData<WindowImplementation, int, int>();
        foreach (var impl in WindowImplementations.For(WindowSemantics.TokenBand))
            foreach (var (n, w) in new[] { (64, 8), (100, 12), (37, 5), (20, 30), (256, 32) })
                data.Add(impl, n, w);
        return data;
    }

    public static TheoryData<WindowImplementation, int, int> BlockCases()
    {
        var data = new TheoryData<WindowImplementation, int, int>();
        foreach (var impl in WindowImplementations.For(WindowSemantics.BlockBand))
            foreach (var (n, w) in new[] { (64, 8), (100, 12), (37, 5), (250, 31), (16, 40) })
                data.Add(impl, n, w);
        return data;
    }

    [Theory]
    [MemberData(nameof(TokenCases))]
    public void TokenWindowsMatchTheDenseReference(WindowImplementation implementation, int n, int w)
    {
        var spec = WindowSpec.ForTokens(n, WindowSemantics.TokenBand, w);
        var (q, k, v) = Random(n, n * 31 + w);
        using var kernel = WindowImplementations.Prepare(implementation, spec, n);
        using var expected = DenseWindowReference.TokenBand(q, k, v, spec.HalfWidth);
        using var actual = kernel.Compute(q, k, v);
        TensorAssert.RelativeClose(expected, actual, Tolerance, $"{implementation} token n={n} w={w} b={spec.BlockSize}");
    }

    [Theory]
    [MemberData(nameof(BlockCases))]
    public void BlockWindowsMatchTheDenseReference(WindowImplementation implementation, int n, int w)
    {
        var spec = WindowSpec.ForTokens(n, WindowSemantics.BlockBand, w);
        var (q, k, v) = Random(n, n * 17 + w);
        using var kernel = WindowImplementations.Prepare(implementation, spec, n);
        using var expected = DenseWindowReference.BlockBand(q, k, v, spec.BlockSize, spec.BlockRadius);
        using var actual = kernel.Compute(q, k, v);
        TensorAssert.RelativeClose(expected, actual, Tolerance, $"{implementation} block n={n} w={w} b={spec.BlockSize}");
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
