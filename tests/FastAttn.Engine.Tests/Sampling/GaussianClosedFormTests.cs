using FastAttn.Engine.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Sampling;

/// <summary>
/// For data x₀ ~ N(μ, s²) the optimal ε-predictor is analytic, ε*(x, t) = √(1−ᾱ)(x − √ᾱ μ)/(ᾱ s² + 1 − ᾱ), and the
/// probability-flow ODE keeps the standardised value (x_t − √ᾱ_t μ)/√(ᾱ_t s² + 1 − ᾱ_t) constant, so its end point is
/// μ + s·z with z the standardised start. Every deterministic sampler must converge to it as steps grow.
/// </summary>
public class GaussianClosedFormTests
{
    private const double Mu = 0.5, S = 0.3;
    private static double FinalError(IDiffusionScheduler scheduler) => FinalError(scheduler, NoiseSchedule.Linear);

    private static double FinalError(IDiffusionScheduler scheduler, NoiseSchedule schedule)
    {
        var AlphasCumprod = schedule.AlphasCumprod();
        using var g = new TorchSharp.torch.Generator(11);
        var x = randn([1, 4, 8, 8], ScalarType.Float64, generator: g);
        double a0 = AlphasCumprod[scheduler.Timesteps[0]];
        using var expected = (x - Math.Sqrt(a0) * Mu) / Math.Sqrt(a0 * S * S + 1 - a0) * S + Mu;
        for (int i = 0; i < scheduler.Timesteps.Count; i++)
        {
            double a = AlphasCumprod[scheduler.Timesteps[i]];
            using var eps = (x - Math.Sqrt(a) * Mu) * (Math.Sqrt(1 - a) / (a * S * S + 1 - a));
            var next = scheduler.Step(eps, i, x, NoNoise.Instance);
            x.Dispose();
            x = next;
        }
        using var diff = (x - expected).abs().max();
        x.Dispose();
        return diff.item<double>();
    }

    [Fact]
    public void DdimConvergesToTheClosedFormEndPoint()
    {
        double e10 = FinalError(new DdimScheduler(10)), e50 = FinalError(new DdimScheduler(50)), e250 = FinalError(new DdimScheduler(250));
        Assert.True(e250 < e50 && e50 < e10, $"errors 10/50/250 steps: {e10:E2} {e50:E2} {e250:E2}");
        // First order: 5× the steps ≈ 5× smaller error (measured 0.27, 0.063, 0.013).
        Assert.True(e50 / e250 > 3.5 && e250 < 2e-2, $"DDIM max errors {e10:E2} {e50:E2} {e250:E2}");
    }

    [Fact]
    public void DpmSolverConvergesToTheClosedFormEndPoint()
    {
        double e10 = FinalError(new DpmSolverMultistepScheduler(10)), e50 = FinalError(new DpmSolverMultistepScheduler(50)), e200 = FinalError(new DpmSolverMultistepScheduler(200));
        Assert.True(e200 < e50 && e50 < e10, $"errors 10/50/200 steps: {e10:E2} {e50:E2} {e200:E2}");
        // Second order: 4× the steps ≈ 16× smaller error (measured 0.27, 0.015, 0.0012).
        Assert.True(e50 / e200 > 8 && e200 < 2e-3, $"DPM errors {e10:E2} {e50:E2} {e200:E2}");
    }

    [Fact]
    public void SamplersConvergeOnTheCosineScheduleToo()
    {
        var cosine = NoiseSchedule.Cosine;
        double d20 = FinalError(new DdimScheduler(20, cosine), cosine), d200 = FinalError(new DdimScheduler(200, cosine), cosine);
        double p20 = FinalError(new DpmSolverMultistepScheduler(20, new DpmSolverOptions { Schedule = cosine }), cosine);
        double p200 = FinalError(new DpmSolverMultistepScheduler(200, new DpmSolverOptions { Schedule = cosine }), cosine);
        Assert.True(d200 < d20 && d200 < 2e-2, $"DDIM cosine errors 20/200: {d20:E2} {d200:E2}");
        Assert.True(p200 < p20 && p200 < 2e-3, $"DPM cosine errors 20/200: {p20:E2} {p200:E2}");
    }
}
