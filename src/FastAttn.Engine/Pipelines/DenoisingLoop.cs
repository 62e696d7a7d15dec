using System.Diagnostics;
using FastAttn.Engine.Sampling;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// The sampling loop every pipeline shares: for each of the scheduler's steps, the denoiser is told the step, the
/// pipeline computes the (guided) model output for the current sample, the scheduler steps, progress is reported and
/// cancellation checked; every step's tensors are freed within it.
/// </summary>
internal static class DenoisingLoop
{
    /// <summary>
    /// Runs the loop from <paramref name="x"/> (taken over) and returns the final sample. <paramref name="modelOutput"/>
    /// gives the output the scheduler consumes for (step index, timestep, sample). On failure or cancellation the sample
    /// is freed.
    /// </summary>
    public static Tensor Run(IDiffusionScheduler scheduler, Tensor x, INoiseSource noise, IDenoiser denoiser,
        Func<int, long, Tensor, Tensor> modelOutput, IProgress<DiffusionProgress>? progress, Stopwatch stopwatch,
        CancellationToken cancellationToken)
    {
        try
        {
            for (int i = 0; i < scheduler.Timesteps.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Tensor next;
                denoiser.BeginStep(i);
                denoiser.BeginSample(scheduler, i, x);
                using (var step = NewDisposeScope())
                {
                    var output = modelOutput(i, scheduler.Timesteps[i], x);
                    next = scheduler.Step(output, i, x, noise).MoveToOuterDisposeScope();
                }
                x.Dispose();
                x = next;
                progress?.Report(new DiffusionProgress(i + 1, scheduler.Timesteps.Count, scheduler.Timesteps[i], stopwatch.Elapsed));
            }
            return x;
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }
}
