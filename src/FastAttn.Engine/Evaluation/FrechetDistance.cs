using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Evaluation;

/// <summary>
/// The Fréchet distance between Gaussians fitted to two feature sets (FID when the features come from a classifier):
/// ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½), with Tr((Σ₁Σ₂)^½) = Tr((Σ₁^½ Σ₂ Σ₁^½)^½) computed by symmetric eigendecompositions in float64.
/// </summary>
public static class FrechetDistance
{
    /// <summary>Distance between the Gaussians (μ₁, Σ₁) and (μ₂, Σ₂).</summary>
    public static double Between(Tensor mu1, Tensor sigma1, Tensor mu2, Tensor sigma2)
    {
        using var scope = NewDisposeScope();
        var m1 = mu1.to(ScalarType.Float64); var m2 = mu2.to(ScalarType.Float64);
        var s1 = sigma1.to(ScalarType.Float64); var s2 = sigma2.to(ScalarType.Float64);
        var root1 = SymmetricSqrt(s1);
        var middle = root1.matmul(s2).matmul(root1);
        middle = middle.Plus(middle.T).Over(2);
        var traceCross = SymmetricSqrt(middle).trace();
        var diff = m1 - m2;
        return (diff.dot(diff).Plus(s1.trace()).Plus(s2.trace()) - traceCross.Times(2)).item<double>();
    }

    /// <summary>FID between two (N, F) feature sets.</summary>
    public static double OfFeatures(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var (m1, s1) = Moments(a);
        var (m2, s2) = Moments(b);
        return Between(m1, s1, m2, s2);
    }

    /// <summary>Mean and (unbiased) covariance of (N, F) features.</summary>
    public static (Tensor Mean, Tensor Covariance) Moments(Tensor features)
    {
        var f = features.to(ScalarType.Float64);
        var mean = f.mean([0]);
        var centered = f - mean;
        var cov = centered.T.matmul(centered).Over(f.shape[0] - 1);
        return (mean, cov);
    }

    private static Tensor SymmetricSqrt(Tensor m)
    {
        var (values, vectors) = linalg.eigh(m);
        return vectors.matmul(diag(values.clamp_min(Of(0)).sqrt())).matmul(vectors.T);
    }
}
