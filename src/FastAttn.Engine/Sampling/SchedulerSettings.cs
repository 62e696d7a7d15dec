namespace FastAttn.Engine.Sampling;

/// <summary>What a sampler needs to know about the model it drives: its training noise schedule and whether to clip x₀.</summary>
/// <param name="Schedule">The training noise schedule.</param>
/// <param name="ClipSample">Clip each predicted x₀ to [−1, 1] (pixel-space models; diffusers' clip_sample, ADM's clip_denoised).</param>
public sealed record SchedulerSettings(NoiseSchedule Schedule, bool ClipSample = false)
{
    /// <summary>The settings of DiT and PixArt: linear schedule, no clipping.</summary>
    public static SchedulerSettings Default { get; } = new(NoiseSchedule.Linear);
}
