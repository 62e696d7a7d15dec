using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Sampling;

/// <summary>
/// A diffusion sampler (scheduler) in the diffusers sense: it fixes the timesteps at which the model is called
/// and turns each model output into the next sample. An instance holds per-generation state (multistep
/// history), so create one per generation through <see cref="IDiffusionSchedulerFactory"/>.
/// </summary>
public interface IDiffusionScheduler
{
    /// <summary>The model timesteps (on the original 0..999 training scale), in calling order.</summary>
    IReadOnlyList<long> Timesteps { get; }

    /// <summary>
    /// Advances one step. <paramref name="modelOutput"/> is the (guided) model output for <paramref name="sample"/>:
    /// its first <c>sample.shape[1]</c> channels are the ε prediction; a learned-variance model appends as many
    /// variance channels, which only schedulers that use them read.
    /// </summary>
    /// <param name="modelOutput">(B, C or 2C, H, W) model output at <see cref="Timesteps"/>[<paramref name="stepIndex"/>].</param>
    /// <param name="stepIndex">0-based index into <see cref="Timesteps"/>.</param>
    /// <param name="sample">(B, C, H, W) current sample x_t.</param>
    /// <param name="noise">Source of Gaussian noise for stochastic schedulers; deterministic ones ignore it.</param>
    /// <returns>The previous sample x_{t-1} (a new tensor; the caller owns it).</returns>
    Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample, INoiseSource noise);
}

/// <summary>Creates a fresh <see cref="IDiffusionScheduler"/> for one generation.</summary>
public interface IDiffusionSchedulerFactory
{
    /// <summary>The scheduler's name as users type it (e.g. "ddim", "dpm", "iddpm").</summary>
    string Name { get; }

    /// <summary>Creates a scheduler for <paramref name="steps"/> denoising steps.</summary>
    IDiffusionScheduler Create(int steps);
}
