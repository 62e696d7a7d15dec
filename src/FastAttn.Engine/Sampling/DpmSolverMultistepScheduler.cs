using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Sampling;

/// <summary>
/// DPM-Solver++ (Lu et al. 2022), multistep 2M with the midpoint rule, as diffusers' DPMSolverMultistepScheduler in
/// PixArt's configuration: "linspace" timesteps, data (x₀) prediction from ε, first step and final step first order.
/// Keeps the previous x₀ prediction, so use one instance per generation.
/// </summary>
public sealed class DpmSolverMultistepScheduler : IDiffusionScheduler, IOriginalSamplePredictor
{
    private readonly long[] _timesteps;
    private readonly double[] _sigmas;     // σ at each timestep, plus the final σ
    private readonly DpmSolverOptions _options;
    private Tensor? _previousX0;
    private int _lowerOrderCount;

    /// <summary>Creates the scheduler for <paramref name="steps"/> steps.</summary>
    public DpmSolverMultistepScheduler(int steps, DpmSolverOptions? options = null)
    {
        _options = options ?? new DpmSolverOptions();
        if (_options.SolverOrder is not (1 or 2))
            throw new NotSupportedException($"DPM-Solver++ order {_options.SolverOrder} is not supported; allowed: 1, 2.");
        int train = _options.Schedule.TrainSteps;
        SchedulerRegistry.CheckSteps(steps, train);
        // linspace(0, T−1, N+1).round()[::-1][:-1]
        _timesteps = Enumerable.Range(0, steps + 1)
            .Select(i => (long)Math.Round((train - 1) * (double)i / steps, MidpointRounding.ToEven))
            .Reverse().Take(steps).ToArray();
        var alphas = _options.Schedule.AlphasCumprodFloat32();
        _sigmas = new double[steps + 1];
        for (int i = 0; i < steps; i++) _sigmas[i] = (float)Math.Sqrt((1 - alphas[_timesteps[i]]) / alphas[_timesteps[i]]);
        _sigmas[steps] = _options.FinalSigmaZero ? 0.0 : (float)Math.Sqrt((1 - alphas[0]) / alphas[0]);
    }

    /// <inheritdoc />
    public IReadOnlyList<long> Timesteps => _timesteps;

    /// <inheritdoc />
    public Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample, INoiseSource noise)
    {
        using var scope = NewDisposeScope();
        int n = _timesteps.Length;
        var (alphaS, sigmaS) = AlphaSigma(_sigmas[stepIndex]);
        var eps = modelOutput.narrow(1, 0, sample.shape[1]);
        var x0 = (sample - eps.Times(sigmaS)).Over(alphaS);                                            // data prediction
        if (_options.ClipSample) x0 = x0.clamp(Of(-1), Of(1));
        bool lowerOrderFinal = stepIndex == n - 1 && (_options.LowerOrderFinal && n < 15 || _options.FinalSigmaZero);
        var (alphaT, sigmaT) = AlphaSigma(_sigmas[stepIndex + 1]);
        double lambdaT = Math.Log(alphaT) - Math.Log(sigmaT);
        double lambdaS = Math.Log(alphaS) - Math.Log(sigmaS);
        double h = lambdaT - lambdaS;
        double expm = Math.Exp(-h) - 1.0;
        Tensor next;
        if (_options.SolverOrder == 1 || _lowerOrderCount < 1 || lowerOrderFinal || _previousX0 is null)
        {
            next = sample.Times(sigmaT / sigmaS) - x0.Times(alphaT * expm);                         // first order (DDIM-like)
        }
        else
        {
            var (alphaS1, sigmaS1) = AlphaSigma(_sigmas[stepIndex - 1]);
            double lambdaS1 = Math.Log(alphaS1) - Math.Log(sigmaS1);
            double r0 = (lambdaS - lambdaS1) / h;
            var d1 = (x0 - _previousX0).Over(r0);                                                 // D1 = (m0 − m1)/r0
            next = sample.Times(sigmaT / sigmaS) - x0.Times(alphaT * expm) - d1.Times(0.5 * alphaT * expm); // midpoint 2M
        }
        _previousX0?.Dispose();
        _previousX0 = x0.DetachFromDisposeScope();
        if (_lowerOrderCount < _options.SolverOrder) _lowerOrderCount++;
        if (stepIndex == n - 1) { _previousX0.Dispose(); _previousX0 = null; }
        return next.MoveToOuterDisposeScope();
    }

    Tensor IOriginalSamplePredictor.PredictOriginal(Tensor modelOutput, int stepIndex, Tensor sample)
    {
        using var scope = NewDisposeScope();
        var (alphaS, sigmaS) = AlphaSigma(_sigmas[stepIndex]);
        var x0 = (sample - modelOutput.narrow(1, 0, sample.shape[1]).Times(sigmaS)).Over(alphaS);
        return (_options.ClipSample ? x0.clamp(Of(-1), Of(1)) : x0).MoveToOuterDisposeScope();
    }

    /// <summary>α_t = 1/√(σ²+1), σ_t = σ·α_t.</summary>
    private static (double Alpha, double Sigma) AlphaSigma(double sigma)
    {
        double alpha = 1.0 / Math.Sqrt(sigma * sigma + 1.0);
        return (alpha, sigma * alpha);
    }
}
