using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using Xunit;

namespace FastAttn.Engine.Tests.Compression;

/// <summary>FLOPs as the paper counts them: its Table 2 module fractions (DiT-XL width 1152, w = N/8 token band).</summary>
public class AttentionFlopsTests
{
    private static double Fraction(AttentionMethod method, int n, int d = 1152)
    {
        var shape = new FlopsShape(n, d, 1, CfgBatch: true);
        long pairs = WindowAttention.TokenBandPairs(n, n / 8);
        var (full, _) = AttentionFlops.Layer(AttentionMethod.Full, false, shape, pairs);
        var (m, _) = AttentionFlops.Layer(method, false, shape, pairs);
        return m / full;
    }

    [Theory]
    // N, WA-RS, WA-RS+ASC (Table 2; ASC 50%, AST 0% at every N). Keys actually computed: the band clipped at the ends.
    [InlineData(1024, 0.7647, 0.3824)]
    [InlineData(4096, 0.5101, 0.2551)]
    [InlineData(16384, 0.3288, 0.1644)]
    public void ReproducesThePapersTable2(int n, double wars, double warsAsc)
    {
        Assert.Equal(wars, Fraction(AttentionMethod.WindowResidual, n), 3);
        Assert.Equal(warsAsc, Fraction(AttentionMethod.WindowResidualCfgShare, n), 3);
        Assert.Equal(0.5, Fraction(AttentionMethod.FullCfgShare, n), 12);
        Assert.Equal(0.0, Fraction(AttentionMethod.OutputShare, n), 12);
        // Rounded as the paper prints them: 77/51/33 (1024 rounds from 76.5 at the paper's precision), 38/26/16.
        int[] paper = n switch { 1024 => [77, 38], 4096 => [51, 26], _ => [33, 16] };
        Assert.InRange(Fraction(AttentionMethod.WindowResidual, n) * 100, paper[0] - 0.55, paper[0] + 0.5);
        Assert.InRange(Fraction(AttentionMethod.WindowResidualCfgShare, n) * 100, paper[1] - 0.5, paper[1] + 0.5);
    }

    [Fact]
    public void PlanFractionsCountRefreshesAndCfgSharing()
    {
        var window = WindowSpec.ForTokens(256, WindowSemantics.TokenBand);
        var shape = new FlopsShape(256, 96, 2, CfgBatch: true);
        AttentionMethod F = AttentionMethod.Full, W = AttentionMethod.WindowResidual, A = AttentionMethod.OutputShare;
        var allFull = AttentionFlops.Evaluate([[F, F], [F, F]], shape, window);
        Assert.Equal(1.0, allFull.ModuleFraction, 12);
        Assert.Equal(1.0, allFull.TransformerFraction, 12);
        var ast = AttentionFlops.Evaluate([[F, F], [A, A]], shape, window);
        Assert.Equal(0.5, ast.ModuleFraction, 12);
        Assert.True(ast.TransformerFraction > 0.5 && ast.TransformerFraction < 1);
        // step 0 refreshes the residual for step 1's WA-RS: full + window kernel, then window only.
        var wars = AttentionFlops.Evaluate([[F, F], [W, W]], shape, window);
        long pairs = window.WindowPairs(256);                                           // exact pairs, not the kernel's padded ones
        double full = 8.0 * 256 * 96 * 96 + 4.0 * 256 * 256 * 96, win = 4.0 * pairs * 96;
        Assert.Equal((full + win + (full - 4.0 * 256 * 256 * 96 + win)) / (2 * full), wars.ModuleFraction, 9);
        Assert.Equal((4.0 * 256 * 256 * 96 + 2 * win) / (2 * 4.0 * 256 * 256 * 96), wars.KernelFraction, 9);
        // Without a CFG batch ASC counts as full.
        var noCfg = AttentionFlops.Evaluate([[F, F], [AttentionMethod.FullCfgShare, F]], shape with { CfgBatch = false }, window);
        Assert.Equal(1.0, noCfg.ModuleFraction, 12);
    }
}

public class PlanMemoryTests
{
    [Fact]
    public void CachesLiveFromTheirWriteToTheirLastRead()
    {
        AttentionMethod F = AttentionMethod.Full, A = AttentionMethod.OutputShare, W = AttentionMethod.WindowResidual;
        // layer 0: output cached at step 0 for steps 1-2; layer 1: residual from step 0 read at steps 1 and 3.
        AttentionMethod[][] plan = [[F, F], [A, W], [A, F], [F, W]];
        // step 2: layer 1 refreshes nothing (no WA-RS until the next full) → residual freed; peak is steps 0-1: 2 caches.
        Assert.Equal(2L * 2 * 3 * 64 * 8 * 4, PlanMemory.PeakBytes(plan, samples: 3, tokens: 64, hidden: 8, cfgBatch: true));
        Assert.Equal(0L, PlanMemory.PeakBytes([[F, F], [F, F]], 1, 64, 8, true));
    }
}
