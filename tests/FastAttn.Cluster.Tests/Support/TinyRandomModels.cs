using FastAttn.Engine.Families.Random;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>Tiny random-weight class-conditional DiTs (pixel space, 32x32, 10 classes) written as model folders by the Engine's builder.</summary>
internal static class TinyRandomModels
{
    /// <summary>Writes model folder <paramref name="name"/> under <paramref name="root"/> (weights from <paramref name="seed"/>) and returns it.</summary>
    public static string Write(string root, string name, long seed, int steps = 10) =>
        RandomModels.WriteFolder(Path.Combine(root, name), options: new RandomModelOptions { Seed = seed },
            defaults: new SamplingDefaults(steps, "ddim", 4) { Schedule = Engine.Sampling.NoiseSchedule.FromName("squaredcos_cap_v2"), ClipSample = true,
                SearchMetric = Engine.Compression.SearchMetric.GuidedOutput });
}
