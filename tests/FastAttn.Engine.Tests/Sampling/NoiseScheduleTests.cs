using FastAttn.Engine.Compression;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Sampling;

public class NoiseScheduleTests
{
    private static double CosineAlphaBar(double s) => Math.Pow(Math.Cos((s + 0.008) / 1.008 * Math.PI / 2), 2);

    [Fact]
    public void CosineScheduleFollowsItsClosedFormUntilTheCap()
    {
        var a = NoiseSchedule.Cosine.AlphasCumprod();
        var a32 = NoiseSchedule.Cosine.AlphasCumprodFloat32();
        Assert.Equal(1000, a.Length);
        for (int i = 0; i < 990; i++)
        {
            double expected = CosineAlphaBar((i + 1) / 1000.0) / CosineAlphaBar(0);
            Assert.True(Math.Abs(a[i] - expected) < 1e-12, $"ᾱ[{i}] = {a[i]} vs {expected}");
            Assert.True(Math.Abs(a32[i] - expected) < 1e-5 * Math.Max(expected, 1e-2), $"float32 ᾱ[{i}] = {a32[i]} vs {expected}");
        }
        Assert.Equal(0.999, NoiseSchedule.Cosine.Betas()[^1], 12);
        Assert.True(a[499] > 0.45 && a[499] < 0.55, "cosine keeps half the signal at mid-schedule");
        Assert.True(NoiseSchedule.Linear.AlphasCumprod()[499] < 0.1, "the linear schedule has mostly destroyed it by then");
    }

    [Theory]
    [InlineData("linear", BetaSchedule.Linear)]
    [InlineData("cosine", BetaSchedule.SquaredCosCapV2)]
    [InlineData("squaredcos_cap_v2", BetaSchedule.SquaredCosCapV2)]
    public void SchedulesAreNamedAsDiffusersNamesThem(string name, BetaSchedule kind) =>
        Assert.Equal(kind, NoiseSchedule.FromName(name).Kind);

    [Fact]
    public void UnknownScheduleNamesListTheKnownOnes()
    {
        var e = Assert.Throws<NotSupportedException>(() => NoiseSchedule.FromName("sigmoid"));
        Assert.Contains("linear", e.Message, StringComparison.Ordinal);
        Assert.Contains("cosine", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ddim")]
    [InlineData("iddpm")]
    [InlineData("dpm")]
    public void ClippingKeepsPredictedDataInRange(string name)
    {
        // A point mass at x₀ = 3 (outside the data range): the exact ε-predictor drives an unclipped sampler to 3 and a
        // clipping one to 1; a point mass at 0.5 is reached either way.
        foreach (var (target, clip, expected) in new[] { (3.0, false, 3.0), (3.0, true, 1.0), (0.5, true, 0.5), (0.5, false, 0.5) })
        {
            var schedule = NoiseSchedule.Cosine;
            var scheduler = SchedulerRegistry.Get(name, new SchedulerSettings(schedule, clip)).Create(20);
            var ab = schedule.AlphasCumprod();
            using var g = new TorchSharp.torch.Generator(3);
            var x = randn([1, 1, 4, 4], ScalarType.Float64, generator: g);
            for (int i = 0; i < scheduler.Timesteps.Count; i++)
            {
                double a = ab[scheduler.Timesteps[i]];
                using var eps = (x - Math.Sqrt(a) * target) / Math.Sqrt(1 - a);
                var next = scheduler.Step(eps, i, x, ZeroNoise.Instance);
                x.Dispose();
                x = next;
            }
            using var error = (x - expected).abs().max();
            Assert.True(error.item<double>() < 1e-3, $"{name} clip={clip} target {target}: max error {error.item<double>():E2}");
            x.Dispose();
        }
    }

    [Fact]
    public void SamplingDefaultsCarryTheScheduleAndClipping()
    {
        var dir = Directory.CreateTempSubdirectory("fastattn-defaults").FullName;
        try
        {
            var defaults = new SamplingDefaults(20, "dpm", 2.5) { Schedule = NoiseSchedule.Cosine, ClipSample = true, SearchMetric = SearchMetric.GuidedOutput };
            File.WriteAllText(Path.Combine(dir, SamplingDefaults.FileName), defaults.ToJson());
            var read = SamplingDefaults.ReadFrom(dir);
            Assert.Equal(defaults, read);
            Assert.Equal("dpm", read.CreateScheduler().Name);
            Assert.Equal("ddim", read.CreateScheduler("ddim").Name);
            File.WriteAllText(Path.Combine(dir, SamplingDefaults.FileName), """{ "steps": 20, "betaSchedule": "sigmoid" }""");
            var e = Assert.Throws<CheckpointFormatException>(() => SamplingDefaults.ReadFrom(dir));
            Assert.Contains("sigmoid", e.Message, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, SamplingDefaults.FileName), """{ "steps": 20, "searchMetric": "lpips" }""");
            Assert.Contains("lpips", Assert.Throws<CheckpointFormatException>(() => SamplingDefaults.ReadFrom(dir)).Message, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, SamplingDefaults.FileName), """{ "steps": 20 }""");
            Assert.Equal(SearchMetric.RawOutput, SamplingDefaults.ReadFrom(dir).SearchMetric);      // the reference's metric unless stated
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Zero ancestral noise, so a stochastic sampler follows its posterior means.</summary>
    private sealed class ZeroNoise : INoiseSource
    {
        public static ZeroNoise Instance { get; } = new();

        public Tensor Next(long[] shape, ScalarType dtype, Device device) => zeros(shape, dtype, device);
    }
}
