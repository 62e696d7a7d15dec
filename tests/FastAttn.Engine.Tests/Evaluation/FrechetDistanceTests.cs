using FastAttn.Engine.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Evaluation;

public class FrechetDistanceTests
{
    [Fact]
    public void MatchesTheClosedFormForTwoGaussians()
    {
        // Diagonal covariances: ‖μ₁−μ₂‖² + Σ (σ₁ + σ₂ − 2√(σ₁σ₂)).
        using var mu1 = tensor(new double[] { 0, 1, 2 });
        using var mu2 = tensor(new double[] { 1, 1, 0 });
        double[] v1 = [1, 4, 0.25], v2 = [9, 1, 0.25];
        using var s1 = diag(tensor(v1));
        using var s2 = diag(tensor(v2));
        double expected = 1 + 0 + 4 + v1.Zip(v2).Sum(p => p.First + p.Second - 2 * Math.Sqrt(p.First * p.Second));
        Assert.Equal(expected, FrechetDistance.Between(mu1, s1, mu2, s2), 9);
        // A full (rotated) covariance against itself: 0; against a scaled copy: Tr(Σ)(1 + c − 2√c).
        using var r = tensor(new double[,] { { 2, 1, 0 }, { 1, 2, 0.5 }, { 0, 0.5, 1 } });
        Assert.Equal(0, FrechetDistance.Between(mu1, r, mu1, r), 9);
        double c = 4;
        Assert.Equal(r.trace().item<double>() * (1 + c - 2 * Math.Sqrt(c)), FrechetDistance.Between(mu1, r, mu1, r * c), 9);
    }

    [Fact]
    public void SampleFeatureSetsConvergeToTheClosedForm()
    {
        using var g = new TorchSharp.torch.Generator(3);
        using var a = randn([20000, 2], ScalarType.Float64, generator: g);
        using var b = randn([20000, 2], ScalarType.Float64, generator: g) * 2 + 1;
        // μ: (0,0) vs (1,1) → 2; Σ: I vs 4I → 2·(1 + 4 − 2·2) = 2; total 4.
        Assert.Equal(4.0, FrechetDistance.OfFeatures(a, b), 1);
    }
}
