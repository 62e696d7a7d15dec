using FastAttn.Engine.Models;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Computes the raw transformer output inside a pipeline's sampling loop. Generation runs the transformer with its
/// attention plan; a plan search decides the plan while it denoises.
/// </summary>
internal interface IDenoiser : IDisposable
{
    /// <summary>Called before the forward passes of step <paramref name="step"/>.</summary>
    void BeginStep(int step);

    /// <summary>
    /// Called after <see cref="BeginStep"/> with the step's <paramref name="scheduler"/> and current sample
    /// <paramref name="sample"/> (the whole batch, not owned; valid until the step ends). Ignored by default; the SSIM
    /// plan search decodes the scheduler's x̂₀ prediction from them.
    /// </summary>
    void BeginSample(Sampling.IDiffusionScheduler scheduler, int step, Tensor sample)
    {
    }

    /// <summary>Raw output (before guidance) of chunk <paramref name="chunk"/>'s prepared forward pass (a CFG batch when guided).</summary>
    Tensor Forward(int chunk, ITransformerPass pass);
}
