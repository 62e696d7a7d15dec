using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Compression;

public class StructuralSimilarityTests
{
    /// <summary>The direct implementation and the convolutional one differ only by float64 rounding; 1e-9 leaves room.</summary>
    private const double Tolerance = 1e-9;

    [Theory]
    [InlineData(2, 3, 16, 20)]
    [InlineData(1, 2, 8, 9)]                                                                 // smaller than 11: a 7 × 7 window
    public void MatchesADenseDirectPerPixelReference(int batch, int channels, int height, int width)
    {
        using var scope = NewDisposeScope();
        var g = new TorchSharp.torch.Generator(7);
        var a = rand([batch, channels, height, width], ScalarType.Float64, generator: g);
        var b = (a + 0.2 * rand([batch, channels, height, width], ScalarType.Float64, generator: g) - 0.1).clamp(0, 1);
        Assert.Equal(DirectSsim(a, b), StructuralSimilarity.Compute(a, b), Tolerance);
    }

    [Fact]
    public void IdenticalImagesScoreOneAndTheScoreIsSymmetric()
    {
        using var scope = NewDisposeScope();
        var g = new TorchSharp.torch.Generator(3);
        var a = rand([2, 3, 16, 16], generator: g);
        var b = rand([2, 3, 16, 16], generator: g);
        Assert.Equal(1.0, StructuralSimilarity.Compute(a, a.clone()), 12);
        Assert.Equal(0.0, StructuralSimilarity.Loss(a, a.clone()), 12);
        Assert.Equal(StructuralSimilarity.Compute(a, b), StructuralSimilarity.Compute(b, a), 12);
        Assert.True(StructuralSimilarity.Compute(a, b) < 0.5, "independent noise is not similar");
    }

    [Fact]
    public void AConstantShiftLowersItTheMoreTheLargerTheShift()
    {
        using var scope = NewDisposeScope();
        var a = 0.3 + 0.4 * rand([1, 3, 16, 16], generator: new TorchSharp.torch.Generator(5));
        double small = StructuralSimilarity.Compute(a, a + 0.05), large = StructuralSimilarity.Compute(a, a + 0.2);
        Assert.True(small < 1.0 && large < small, $"shift 0.05: {small}, shift 0.2: {large}");
        Assert.Equal(11, StructuralSimilarity.WindowSide(32, 32));
        Assert.Equal(7, StructuralSimilarity.WindowSide(8, 9));
        Assert.Throws<ArgumentException>(() => StructuralSimilarity.Compute(a, a[.., ..2]));
    }

    [Fact]
    public void MetricNamesParseAndUnknownOnesGiveATypedError()
    {
        Assert.Equal(SearchMetric.Ssim, PlanSearchNames.Metric("SSIM"));
        Assert.Equal("ssim", SamplingDefaults.MetricName(SearchMetric.Ssim));
        foreach (var metric in Enum.GetValues<SearchMetric>())
            Assert.Equal(metric, SamplingDefaults.ParseMetric(SamplingDefaults.MetricName(metric)));
        var e = Assert.Throws<UnknownSearchMetricException>(() => PlanSearchNames.Metric("lpips"));
        Assert.Equal("lpips", e.Name);
        Assert.Contains("raw, guided, ssim", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<NotSupportedException>(e);
    }

    [Fact]
    public void TheDdimEstimateAtTheLastStepIsItsStep()
    {
        using var scope = NewDisposeScope();
        var scheduler = new DdimScheduler(5);
        var x = randn(1, 4, 8, 8);
        var eps = randn(1, 8, 8, 8);
        var predicted = ((IOriginalSamplePredictor)scheduler).PredictOriginal(eps, 4, x);
        var stepped = scheduler.Step(eps, 4, x, NoNoise.Instance);
        Assert.True(allclose(predicted, stepped, 1e-5, 1e-6), "ᾱ_prev = 1 at the last DDIM step, so x_{t−1} is x̂₀");
    }

    /// <summary>SSIM straight from the paper's definition: every valid window position, every channel, weighted sums in loops.</summary>
    private static double DirectSsim(Tensor x, Tensor y)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        int k = (int)Math.Min(11, Math.Min(h, w));
        if (k % 2 == 0) k--;
        var g1 = Enumerable.Range(0, k).Select(i => Math.Exp(-(i - (k - 1) / 2.0) * (i - (k - 1) / 2.0) / (2 * 1.5 * 1.5))).ToArray();
        double sum = g1.Sum();
        var a = x.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var b = y.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03, total = 0;
        long count = 0;
        for (long img = 0; img < n * c; img++)
            for (long r = 0; r + k <= h; r++)
                for (long s = 0; s + k <= w; s++)
                {
                    double mx = 0, my = 0;
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++)
                        {
                            double wt = g1[i] * g1[j] / (sum * sum);
                            long at = img * h * w + (r + i) * w + s + j;
                            mx += wt * a[at];
                            my += wt * b[at];
                        }
                    double vx = 0, vy = 0, cxy = 0;
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++)
                        {
                            double wt = g1[i] * g1[j] / (sum * sum);
                            long at = img * h * w + (r + i) * w + s + j;
                            vx += wt * (a[at] - mx) * (a[at] - mx);
                            vy += wt * (b[at] - my) * (b[at] - my);
                            cxy += wt * (a[at] - mx) * (b[at] - my);
                        }
                    total += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                    count++;
                }
        return total / count;
    }
}
