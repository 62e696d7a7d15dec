using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Sampling;

/// <summary>Sampler trajectories against diffusers and the reference DiT (golden/samplers.safetensors, ≤ 1e-4 per step).</summary>
public class SchedulerGoldenTests
{
    private const double Tolerance = 1e-4;
    private static readonly Dictionary<string, Tensor> Golden = TestData.Load(TestData.Golden("samplers.safetensors"));

    /// <summary>The golden README's toy ε model: 0.3·tanh(x) + 0.1·sin(t/97) + 0.05·x·(t/1000), t-terms in float64.</summary>
    private static Tensor ToyEps(Tensor x, long t) => x.tanh() * 0.3 + (float)(0.1 * Math.Sin(t / 97.0)) + x * (float)(0.05 * (t / 1000.0));

    /// <summary>The IDDPM toy model: ε = 0.3·tanh(x) + 0.1·sin(t/97), v = tanh(0.5·x + t/1000 − 0.5).</summary>
    private static Tensor ToyLearnedSigma(Tensor x, long t) =>
        cat([x.tanh() * 0.3 + (float)(0.1 * Math.Sin(t / 97.0)), (x * 0.5 + (float)(t / 1000.0 - 0.5)).tanh()], 1);

    private static void RunAndCompare(IDiffusionScheduler scheduler, string name, Func<Tensor, long, Tensor> model, INoiseSource noise)
    {
        Assert.Equal(Golden[$"{name}.timesteps"].data<long>().ToArray(), scheduler.Timesteps.ToArray());
        var trajectory = Golden[$"{name}.trajectory"];
        var x = Golden["x_init"].clone();
        for (int i = 0; i < scheduler.Timesteps.Count; i++)
        {
            using var output = model(x, scheduler.Timesteps[i]);
            var next = scheduler.Step(output, i, x, noise);
            x.Dispose();
            x = next;
            TensorAssert.RelativeClose(trajectory[i], x, Tolerance, $"{name} step {i}");
        }
        x.Dispose();
    }

    [Theory]
    [InlineData(50)]
    [InlineData(20)]
    [InlineData(10)]
    public void DpmSolverMatchesDiffusersPixArtConfig(int steps) =>
        RunAndCompare(new DpmSolverMultistepScheduler(steps), $"dpmpp2m_pixart_{steps}", ToyEps, NoNoise.Instance);

    [Fact]
    public void DdimMatchesDiffusersDiTConfig() => RunAndCompare(new DdimScheduler(50), "ddim_dit_50", ToyEps, NoNoise.Instance);

    [Theory]
    [InlineData(250)]
    [InlineData(50)]
    public void IddpmMatchesTheReferenceWithRecordedNoise(int steps)
    {
        var scheduler = new IddpmScheduler(steps);
        var map = Golden[$"iddpm_{steps}.timestep_map"].data<long>().ToArray();
        Assert.Equal(map, scheduler.TimestepMap.ToArray());
        Golden[$"iddpm_{steps}.timesteps"] = tensor(map.Reverse().ToArray());
        RunAndCompare(scheduler, $"iddpm_{steps}", ToyLearnedSigma, new RecordedNoise(Golden[$"iddpm_{steps}.noise"]));
    }

    [Fact]
    public void RegistryKnowsTheSchedulersAndRejectsOthers()
    {
        Assert.Equal("dpm", SchedulerRegistry.Get("DPM++").Name);
        Assert.IsType<IddpmScheduler>(SchedulerRegistry.Get("iddpm").Create(10));
        var e = Assert.Throws<NotSupportedException>(() => SchedulerRegistry.Get("euler"));
        Assert.Contains("ddim, dpm, iddpm", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimScheduler(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IddpmScheduler(1001));
    }
}
