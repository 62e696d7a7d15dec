namespace FastAttn.Engine.Sampling;

/// <summary>The DDPM training noise schedule: β_t linear from <see cref="BetaStart"/> to <see cref="BetaEnd"/> over <see cref="TrainSteps"/>.</summary>
/// <param name="BetaStart">β at t = 0 (1e-4 for DiT and PixArt).</param>
/// <param name="BetaEnd">β at the last step (0.02).</param>
/// <param name="TrainSteps">Training timesteps (1000).</param>
public sealed record NoiseSchedule(double BetaStart = 1e-4, double BetaEnd = 0.02, int TrainSteps = 1000)
{
    /// <summary>The default linear schedule of DiT and PixArt.</summary>
    public static NoiseSchedule Linear { get; } = new();

    /// <summary>β_t in float64 (the reference's numpy computation).</summary>
    public double[] Betas()
    {
        var betas = new double[TrainSteps];
        for (int i = 0; i < TrainSteps; i++)
            betas[i] = TrainSteps == 1 ? BetaStart : BetaStart + (BetaEnd - BetaStart) * i / (TrainSteps - 1);
        return betas;
    }

    /// <summary>ᾱ_t = Π(1 − β) in float64.</summary>
    public double[] AlphasCumprod() => Cumprod(Betas(), float32: false);

    /// <summary>ᾱ_t computed in float32, as diffusers' torch schedulers do (values widened to double).</summary>
    public double[] AlphasCumprodFloat32()
    {
        var betas = new float[TrainSteps];
        // torch.linspace in float32: start + i·step, step computed in float32
        float start = (float)BetaStart, end = (float)BetaEnd;
        float step = TrainSteps == 1 ? 0 : (end - start) / (TrainSteps - 1);
        int half = TrainSteps / 2;
        for (int i = 0; i < TrainSteps; i++)
            betas[i] = i < half ? start + step * i : end - step * (TrainSteps - 1 - i);
        var result = new double[TrainSteps];
        float acc = 1f;
        for (int i = 0; i < TrainSteps; i++)
        {
            acc *= 1f - betas[i];
            result[i] = acc;
        }
        return result;
    }

    private static double[] Cumprod(double[] betas, bool float32)
    {
        var result = new double[betas.Length];
        double acc = 1.0;
        for (int i = 0; i < betas.Length; i++)
        {
            acc *= 1.0 - betas[i];
            result[i] = float32 ? (float)acc : acc;
        }
        return result;
    }
}
