using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Families.DiT;
using FastAttn.Engine.Models.DiT;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Support;

/// <summary>Small models for tests that sample: the golden tiny DiT with its final layer scaled (the e2e golden's weights).</summary>
internal static class TinyModels
{
    private static readonly Lazy<string> E2EWeights = new(() =>
    {
        var golden = TestData.Load(TestData.Golden("e2e-dit-iddpm10-cfg4.safetensors"));
        var weights = golden.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value);
        var path = Path.Combine(Path.GetTempPath(), $"fastattn-e2e-{Environment.ProcessId}.safetensors");
        Safetensors.SaveStateDict(path, weights);
        return path;
    });

    public static readonly DiTConfig TinyConfig = new(16, 2, 4, 96, 4, 4, 10, true);

    /// <summary>4 layers, 64 tokens, 10 classes: sampling stays finite.</summary>
    public static DiTModel SamplingDiT() => DiTCheckpoint.Load(E2EWeights.Value, new DiTLoadOptions { Config = TinyConfig });

    /// <summary>A random-weight DiT of the given shape (the Engine's random-model builder: weights scaled down so sampling stays finite).</summary>
    public static DiTModel Random(int depth, int hidden = 64, int heads = 4, int inputSize = 16, int patch = 2, long seed = 1) =>
        DiTRandomModels.Transformer(new DiTConfig(inputSize, patch, 4, hidden, depth, heads, 10, true), seed);
}
