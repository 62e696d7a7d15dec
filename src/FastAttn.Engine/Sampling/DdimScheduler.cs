using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Sampling;

/// <summary>
/// DDIM (Song et al. 2021), deterministic (η = 0), as diffusers' DDIMScheduler configured for DiT: "leading" timestep
/// spacing (50 steps: 980, 960, …, 0), ᾱ of the final step = 1 (set_alpha_to_one), ε prediction, no clipping.
/// With clipping (pixel-space models) the predicted x₀ is clamped to [−1, 1] and ε re-derived from it, as ADM's DDIM does.
/// </summary>
public sealed class DdimScheduler : IDiffusionScheduler, IOriginalSamplePredictor
{
    private readonly double[] _alphasCumprod;
    private readonly long[] _timesteps;
    private readonly int _stepRatio;
    private readonly bool _clip;

    /// <summary>Creates the scheduler for <paramref name="steps"/> steps.</summary>
    /// <param name="steps">Denoising steps.</param>
    /// <param name="schedule">The training noise schedule (linear by default).</param>
    /// <param name="clipSample">Clamp each predicted x₀ to [−1, 1].</param>
    public DdimScheduler(int steps, NoiseSchedule? schedule = null, bool clipSample = false)
    {
        _clip = clipSample;
        schedule ??= NoiseSchedule.Linear;
        SchedulerRegistry.CheckSteps(steps, schedule.TrainSteps);
        _alphasCumprod = schedule.AlphasCumprodFloat32();
        _stepRatio = schedule.TrainSteps / steps;
        _timesteps = Enumerable.Range(0, steps).Select(i => (long)i * _stepRatio).Reverse().ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<long> Timesteps => _timesteps;

    /// <inheritdoc />
    public Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample, INoiseSource noise)
    {
        using var scope = NewDisposeScope();
        long t = _timesteps[stepIndex];
        long prev = t - _stepRatio;
        double aT = _alphasCumprod[t];
        double aPrev = prev >= 0 ? _alphasCumprod[prev] : 1.0;
        var eps = modelOutput.narrow(1, 0, sample.shape[1]);
        var x0 = (sample - eps.Times(Math.Sqrt(1 - aT))).Over(Math.Sqrt(aT));                        // (12) predicted x_0
        if (_clip)
        {
            x0 = x0.clamp(Of(-1), Of(1));
            eps = (sample - x0.Times(Math.Sqrt(aT))).Over(Math.Sqrt(1 - aT));                            // ε consistent with the clipped x_0
        }
        var next = x0.Times(Math.Sqrt(aPrev)).Plus(eps.Times(Math.Sqrt(1 - aPrev)));                        // (12) direction to x_t−1, η = 0
        return next.MoveToOuterDisposeScope();
    }

    Tensor IOriginalSamplePredictor.PredictOriginal(Tensor modelOutput, int stepIndex, Tensor sample)
    {
        using var scope = NewDisposeScope();
        double aT = _alphasCumprod[_timesteps[stepIndex]];
        var x0 = (sample - modelOutput.narrow(1, 0, sample.shape[1]).Times(Math.Sqrt(1 - aT))).Over(Math.Sqrt(aT));
        return (_clip ? x0.clamp(Of(-1), Of(1)) : x0).MoveToOuterDisposeScope();
    }
}
