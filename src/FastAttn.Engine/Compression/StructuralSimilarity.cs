using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Compression;

/// <summary>
/// SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) as their reference code computes it: an 11 × 11 Gaussian window with
/// σ = 1.5, K1 = 0.01, K2 = 0.03, dynamic range L = 1 (images in [0, 1]), each channel on its own, only window
/// positions inside the image ("valid"), and the mean of the SSIM map over every position, channel and image.
/// Images smaller than 11 pixels on a side use the largest odd window that fits (same σ). Computed in float64.
/// </summary>
public static class StructuralSimilarity
{
    /// <summary>The Gaussian window's side (11).</summary>
    public const int WindowSize = 11;

    /// <summary>The Gaussian window's standard deviation (1.5).</summary>
    public const double Sigma = 1.5;

    /// <summary>K1 (0.01): C1 = (K1·L)².</summary>
    public const double K1 = 0.01;

    /// <summary>K2 (0.03): C2 = (K2·L)².</summary>
    public const double K2 = 0.03;

    /// <summary>
    /// Mean SSIM of <paramref name="candidate"/> against <paramref name="reference"/>: images of one shape, at least
    /// (H, W), read as (…, C, H, W) with values in [0, 1]; 1 for identical images, symmetric in its arguments.
    /// </summary>
    public static double Compute(Tensor reference, Tensor candidate)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        if (!reference.shape.SequenceEqual(candidate.shape))
            throw new ArgumentException($"SSIM needs images of one shape; got [{string.Join(", ", reference.shape)}] and " +
                $"[{string.Join(", ", candidate.shape)}].", nameof(candidate));
        if (reference.dim() < 2) throw new ArgumentException("SSIM needs images of at least (H, W).", nameof(reference));
        using var scope = NewDisposeScope();
        long h = reference.shape[^2], w = reference.shape[^1];
        var x = reference.to(ScalarType.Float64).reshape(-1, 1, h, w);                        // every channel of every image alone
        var y = candidate.to(ScalarType.Float64, reference.device).reshape(-1, 1, h, w);
        var window = Window(WindowSide(h, w), x.device);
        Tensor Filter(Tensor t) => nn.functional.conv2d(t, window);                            // valid positions only
        var muX = Filter(x);
        var muY = Filter(y);
        var varX = Filter(x * x) - muX * muX;
        var varY = Filter(y * y) - muY * muY;
        var cov = Filter(x * y) - muX * muY;
        const double c1 = K1 * K1, c2 = K2 * K2;
        var map = (muX.Times(2) * muY).Plus(c1) * cov.Times(2).Plus(c2) / ((muX * muX).Plus(muY * muY).Plus(c1) * varX.Plus(varY).Plus(c2));
        return map.mean().item<double>();
    }

    /// <summary>The search loss 1 − SSIM (0 for identical images).</summary>
    public static double Loss(Tensor reference, Tensor candidate) => 1.0 - Compute(reference, candidate);

    /// <summary>
    /// The window side for an image of <paramref name="height"/> × <paramref name="width"/>: 11, or the largest odd side that fits.
    /// </summary>
    public static int WindowSide(long height, long width)
    {
        long side = Math.Min(WindowSize, Math.Min(height, width));
        return (int)(side % 2 == 0 ? side - 1 : side);
    }

    /// <summary>The normalised Gaussian weights of a window of <paramref name="side"/> (σ = 1.5), row by row.</summary>
    public static double[] GaussianWeights(int side)
    {
        if (side < 1) throw new ArgumentOutOfRangeException(nameof(side), $"The window side must be ≥ 1; got {side}.");
        var g = Enumerable.Range(0, side).Select(i => Math.Exp(-Math.Pow(i - (side - 1) / 2.0, 2) / (2 * Sigma * Sigma))).ToArray();
        double sum = g.Sum();
        var weights = new double[side * side];
        for (int i = 0; i < side; i++)
            for (int j = 0; j < side; j++) weights[i * side + j] = g[i] / sum * (g[j] / sum);
        return weights;
    }

    private static Tensor Window(int side, Device device) =>
        tensor(GaussianWeights(side), ScalarType.Float64, device).reshape(1, 1, side, side);
}
