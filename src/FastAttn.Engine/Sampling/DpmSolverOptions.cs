namespace FastAttn.Engine.Sampling;

/// <summary>Configuration of <see cref="DpmSolverMultistepScheduler"/>; defaults are PixArt-Sigma's scheduler_config.json.</summary>
public sealed record DpmSolverOptions
{
    /// <summary>The training noise schedule.</summary>
    public NoiseSchedule Schedule { get; init; } = NoiseSchedule.Linear;

    /// <summary>Clamp each data prediction x₀ to [−1, 1] (pixel-space models).</summary>
    public bool ClipSample { get; init; }

    /// <summary>Solver order, 1 or 2 (2M).</summary>
    public int SolverOrder { get; init; } = 2;

    /// <summary>Use first-order updates on the final steps (more stable with few steps).</summary>
    public bool LowerOrderFinal { get; init; } = true;

    /// <summary>Whether the last σ is 0 (denoise fully) rather than the last training σ.</summary>
    public bool FinalSigmaZero { get; init; } = true;
}
