using FastAttn.Engine.Attention;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Attention;

/// <summary>Each window kernel against a dense masked reference of its own semantics (≤ 1e-5 relative).</summary>
public class WindowAttentionTests
{
    private const double Tolerance = 1e-5;

    private static (Tensor Q, Tensor K, Tensor V) Random(long b, long h, long n, long d, long seed)
    {
        using var g = new TorchSharp.torch.Generator((ulong)seed);
        return (randn([b, h, n, d], generator: g), randn([b, h, n, d], generator: g), randn([b, h, n, d], generator: g));
    }

    [Theory]
    [InlineData(64, 8, 16)]     // exact blocks
    [InlineData(100, 8, 16)]    // partial last block
    [InlineData(256, 32, 24)]   // tiny-MNIST shape (N/8)
    [InlineData(50, 3, 8)]
    [InlineData(20, 30, 8)]     // window wider than the sequence
    public void TokenBandMatchesDenseMaskedAttention(int n, int w, int queryBlock)
    {
        var (q, k, v) = Random(2, 3, n, 16, n + w);
        using var expected = DenseWindowReference.TokenBand(q, k, v, w);
        using var actual = WindowAttention.TokenBand(q, k, v, w, queryBlock);
        TensorAssert.RelativeClose(expected, actual, Tolerance, $"token band n={n} w={w}");
    }

    [Theory]
    [InlineData(64, 16, 1)]
    [InlineData(256, 24, 1)]    // partial last block
    [InlineData(256, 32, 2)]
    [InlineData(100, 16, 1)]
    [InlineData(40, 16, 1)]     // fewer blocks than the band: edges only
    [InlineData(48, 16, 0)]     // block-diagonal
    public void BlockBandMatchesDenseMaskedAttention(int n, int block, int radius)
    {
        var (q, k, v) = Random(2, 3, n, 16, n + block + radius);
        using var expected = DenseWindowReference.BlockBand(q, k, v, block, radius);
        using var actual = WindowAttention.BlockBand(q, k, v, block, radius);
        TensorAssert.RelativeClose(expected, actual, Tolerance, $"block band n={n} b={block} r={radius}");
    }

    [Fact]
    public void AWindowCoveringTheSequenceEqualsFullAttention()
    {
        var (q, k, v) = Random(1, 2, 96, 8, 7);
        using var full = nn.functional.scaled_dot_product_attention(q, k, v);
        using var token = WindowAttention.TokenBand(q, k, v, 96, 16);
        using var block = WindowAttention.BlockBand(q, k, v, 16, 6);
        TensorAssert.RelativeClose(full, token, Tolerance, "token band w ≥ N");
        TensorAssert.RelativeClose(full, block, Tolerance, "block band covering N");
    }

    [Fact]
    public void PairCountsMatchTheMasks()
    {
        Assert.Equal(1024L * 1024, WindowAttention.BlockBandPairs(1024, 128, 8));
        Assert.Equal(64L * 64, WindowAttention.TokenBandPairs(64, 63));
        // token band, n = 10, w = 1: 2 + 8·3 + 2 = 28 pairs
        Assert.Equal(28, WindowAttention.TokenBandPairs(10, 1));
        // block band n = 64, b = 16, r = 1: blocks see 32, 48, 48, 32 keys
        Assert.Equal(16L * (32 + 48 + 48 + 32), WindowAttention.BlockBandPairs(64, 16, 1));
        var spec = WindowSpec.ForTokens(1024);
        Assert.Equal(128, spec.HalfWidth);
        Assert.Equal(WindowSemantics.BlockBand, spec.Semantics);
        Assert.Equal(88, spec.BlockSize); // ⌈257/3⌉ = 86 → 88
    }
}
