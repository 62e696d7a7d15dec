namespace FastAttn.Engine.Sampling;

/// <summary>
/// The DDPM training noise schedule over <see cref="TrainSteps"/> steps: β_t linear from <see cref="BetaStart"/> to
/// <see cref="BetaEnd"/> (DiT, PixArt), or the cosine schedule of improved DDPM (<see cref="BetaSchedule.SquaredCosCapV2"/>,
/// better for small pixel-space images, where the linear one wastes its last few hundred steps on pure noise).
/// </summary>
/// <param name="BetaStart">β at t = 0 (1e-4 for DiT and PixArt); unused by the cosine schedule.</param>
/// <param name="BetaEnd">β at the last step (0.02); unused by the cosine schedule.</param>
/// <param name="TrainSteps">Training timesteps (1000).</param>
/// <param name="Kind">The β curve.</param>
public sealed record NoiseSchedule(double BetaStart = 1e-4, double BetaEnd = 0.02, int TrainSteps = 1000, BetaSchedule Kind = BetaSchedule.Linear)
{
    /// <summary>The default linear schedule of DiT and PixArt.</summary>
    public static NoiseSchedule Linear { get; } = new();

    /// <summary>The cosine schedule (ᾱ(s) = cos²((s + 0.008)/1.008 · π/2), β capped at 0.999), 1000 steps.</summary>
    public static NoiseSchedule Cosine { get; } = new(Kind: BetaSchedule.SquaredCosCapV2);

    /// <summary>The diffusers name of <see cref="Kind"/>: "linear" or "squaredcos_cap_v2".</summary>
    public string Name => Kind == BetaSchedule.Linear ? "linear" : "squaredcos_cap_v2";

    /// <summary>The schedule called <paramref name="name"/> ("linear"; "cosine" or "squaredcos_cap_v2"), 1000 steps.</summary>
    public static NoiseSchedule FromName(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "linear" => Linear,
        "cosine" or "squaredcos_cap_v2" => Cosine,
        _ => throw new NotSupportedException($"Unknown noise schedule '{name}'. Allowed: linear, cosine (squaredcos_cap_v2)."),
    };

    /// <summary>β_t in float64 (the reference's numpy computation).</summary>
    public double[] Betas()
    {
        var betas = new double[TrainSteps];
        if (Kind == BetaSchedule.SquaredCosCapV2)
        {
            static double AlphaBar(double s) => Math.Pow(Math.Cos((s + 0.008) / 1.008 * Math.PI / 2), 2);
            for (int i = 0; i < TrainSteps; i++)
                betas[i] = Math.Min(1 - AlphaBar((i + 1.0) / TrainSteps) / AlphaBar((double)i / TrainSteps), 0.999);
            return betas;
        }
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
        if (Kind == BetaSchedule.SquaredCosCapV2)
        {
            var exact = Betas();                                                               // numpy float64, then torch.float32
            for (int i = 0; i < TrainSteps; i++) betas[i] = (float)exact[i];
            return CumprodFloat32(betas);
        }
        // torch.linspace in float32: start + i·step, step computed in float32
        float start = (float)BetaStart, end = (float)BetaEnd;
        float step = TrainSteps == 1 ? 0 : (end - start) / (TrainSteps - 1);
        int half = TrainSteps / 2;
        for (int i = 0; i < TrainSteps; i++)
            betas[i] = i < half ? start + step * i : end - step * (TrainSteps - 1 - i);
        return CumprodFloat32(betas);
    }

    private static double[] CumprodFloat32(float[] betas)
    {
        var result = new double[betas.Length];
        float acc = 1f;
        for (int i = 0; i < betas.Length; i++)
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
