using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Computes the raw transformer output inside <see cref="DiTPipeline"/>'s sampling loop. Generation calls the
/// transformer (with its attention plan); a plan search decides the plan while it denoises.
/// </summary>
internal interface IDenoiser : IDisposable
{
    /// <summary>Called before the forward passes of step <paramref name="step"/>.</summary>
    void BeginStep(int step);

    /// <summary>Raw output (before guidance) for chunk <paramref name="chunk"/>'s model input ([cond; uncond] when guided).</summary>
    Tensor Forward(int chunk, Tensor modelInput, Tensor timesteps, Tensor labels);
}
