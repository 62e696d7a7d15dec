using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Sampling;

/// <summary>
/// The reference DiT sampler: DDPM ancestral sampling on a respaced schedule (Nichol &amp; Dhariwal's
/// <c>space_timesteps(1000, "N")</c>), with the learned-range variance when the model predicts it (2C output channels:
/// ε then v ∈ [−1, 1] interpolating log σ² between the clipped posterior variance and β), else the fixed-large variance
/// (β, with the first entry the posterior variance) as the reference uses without learned sigma. x₀ clipped to [−1, 1]
/// only when asked (ADM's clip_denoised, for pixel-space models; the latent DiT reference does not clip).
/// The model is called with the ORIGINAL timesteps (<see cref="TimestepMap"/>). Schedule math in float64.
/// A noise draw happens at every step, the last one included (its noise is unused), as the reference does.
/// </summary>
public sealed class IddpmScheduler : IDiffusionScheduler, IOriginalSamplePredictor
{
    private readonly double[] _betas, _sqrtRecipAlphasCumprod, _sqrtRecipm1AlphasCumprod;
    private readonly double[] _posteriorMeanCoef1, _posteriorMeanCoef2, _posteriorLogVarianceClipped, _logBetas, _fixedLargeLogVariance;
    private readonly long[] _timestepMap;
    private readonly long[] _timesteps;
    private readonly bool _clip;

    /// <summary>Creates the scheduler for <paramref name="steps"/> respaced steps.</summary>
    /// <param name="steps">Respaced steps.</param>
    /// <param name="schedule">The training noise schedule (linear by default).</param>
    /// <param name="clipSample">Clamp each predicted x₀ to [−1, 1].</param>
    public IddpmScheduler(int steps, NoiseSchedule? schedule = null, bool clipSample = false)
    {
        _clip = clipSample;
        schedule ??= NoiseSchedule.Linear;
        SchedulerRegistry.CheckSteps(steps, schedule.TrainSteps);
        var baseAlphasCumprod = schedule.AlphasCumprod();
        var use = SpacedTimesteps(schedule.TrainSteps, steps);
        var betas = new List<double>();
        var map = new List<long>();
        double last = 1.0;
        for (int i = 0; i < baseAlphasCumprod.Length; i++)
        {
            if (!use.Contains(i)) continue;
            betas.Add(1 - baseAlphasCumprod[i] / last);
            last = baseAlphasCumprod[i];
            map.Add(i);
        }
        _betas = betas.ToArray();
        _timestepMap = map.ToArray();
        int n = _betas.Length;
        var ac = new double[n];
        double acc = 1.0;
        for (int i = 0; i < n; i++) { acc *= 1 - _betas[i]; ac[i] = acc; }
        var acPrev = new double[n];
        for (int i = 0; i < n; i++) acPrev[i] = i == 0 ? 1.0 : ac[i - 1];
        _sqrtRecipAlphasCumprod = ac.Select(a => Math.Sqrt(1.0 / a)).ToArray();
        _sqrtRecipm1AlphasCumprod = ac.Select(a => Math.Sqrt(1.0 / a - 1)).ToArray();
        var posteriorVariance = Enumerable.Range(0, n).Select(i => _betas[i] * (1 - acPrev[i]) / (1 - ac[i])).ToArray();
        _posteriorLogVarianceClipped = Enumerable.Range(0, n)
            .Select(i => Math.Log(n > 1 && i == 0 ? posteriorVariance[1] : posteriorVariance[i])).ToArray();
        _posteriorMeanCoef1 = Enumerable.Range(0, n).Select(i => _betas[i] * Math.Sqrt(acPrev[i]) / (1 - ac[i])).ToArray();
        _posteriorMeanCoef2 = Enumerable.Range(0, n).Select(i => (1 - acPrev[i]) * Math.Sqrt(1 - _betas[i]) / (1 - ac[i])).ToArray();
        _logBetas = _betas.Select(b => Math.Log(b)).ToArray();
        _fixedLargeLogVariance = Enumerable.Range(0, n).Select(i => Math.Log(i == 0 && n > 1 ? posteriorVariance[1] : _betas[i])).ToArray();
        _timesteps = Enumerable.Range(0, n).Reverse().Select(i => _timestepMap[i]).ToArray();
    }

    /// <summary>Respaced index → original timestep (ascending).</summary>
    public IReadOnlyList<long> TimestepMap => _timestepMap;

    /// <inheritdoc />
    public IReadOnlyList<long> Timesteps => _timesteps;

    /// <summary>The reference's <c>space_timesteps(T, [N])</c>: N evenly strided indices with stride (T−1)/(N−1), rounded.</summary>
    public static HashSet<int> SpacedTimesteps(int trainSteps, int steps)
    {
        double stride = steps > 1 ? (trainSteps - 1) / (double)(steps - 1) : 1;
        var taken = new HashSet<int>();
        double current = 0;
        for (int i = 0; i < steps; i++)
        {
            taken.Add((int)Math.Round(current, MidpointRounding.ToEven));
            current += stride;
        }
        return taken;
    }

    /// <inheritdoc />
    public Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        using var scope = NewDisposeScope();
        int i = _timesteps.Length - 1 - stepIndex;                                            // respaced index
        long c = sample.shape[1];
        var eps = modelOutput.narrow(1, 0, c);
        var x0 = sample.Times((float)_sqrtRecipAlphasCumprod[i]) - eps.Times((float)_sqrtRecipm1AlphasCumprod[i]);
        if (_clip) x0 = x0.clamp(Of(-1), Of(1));
        var mean = x0.Times((float)_posteriorMeanCoef1[i]).Plus(sample.Times((float)_posteriorMeanCoef2[i]));
        Tensor logVariance;
        if (modelOutput.shape[1] == 2 * c)
        {
            var frac = modelOutput.narrow(1, c, c).Plus(1).Over(2);                                  // v ∈ [−1, 1] → [0, 1]
            logVariance = frac.Times((float)_logBetas[i]).Plus(Minus(1, frac).Times((float)_posteriorLogVarianceClipped[i]));
        }
        else if (modelOutput.shape[1] == c)
        {
            logVariance = FullLike(sample, (float)_fixedLargeLogVariance[i]);
        }
        else
        {
            throw new ArgumentException($"IDDPM expects {c} or {2 * c} model output channels; got {modelOutput.shape[1]}.", nameof(modelOutput));
        }
        var z = noise.Next(sample.shape, sample.dtype, sample.device);
        var next = i == 0 ? mean : mean.Plus(exp(logVariance.Times(0.5)) * z);
        return next.MoveToOuterDisposeScope();
    }

    Tensor IOriginalSamplePredictor.PredictOriginal(Tensor modelOutput, int stepIndex, Tensor sample)
    {
        using var scope = NewDisposeScope();
        int i = _timesteps.Length - 1 - stepIndex;
        var eps = modelOutput.narrow(1, 0, sample.shape[1]);
        var x0 = sample.Times((float)_sqrtRecipAlphasCumprod[i]) - eps.Times((float)_sqrtRecipm1AlphasCumprod[i]);
        return (_clip ? x0.clamp(Of(-1), Of(1)) : x0).MoveToOuterDisposeScope();
    }
}
