using FastAttn.Engine.Models.DiT;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>Tiny random-weight class-conditional DiTs (pixel space, 32x32, 10 classes) written as model folders.</summary>
internal static class TinyRandomModels
{
    private static readonly Lock Gate = new();

    /// <summary>Writes model folder <paramref name="name"/> under <paramref name="root"/> (weights from <paramref name="seed"/>) and returns it.</summary>
    public static string Write(string root, string name, long seed, int steps = 10)
    {
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        lock (Gate)
        {
            manual_seed(seed);
            using var model = new DiTModel(new DiTConfig(32, 4, 1, 64, 2, 4, 10, false));
            using (no_grad())
                foreach (var (key, p) in model.named_parameters())
                    if (key.Contains("adaLN_modulation") || key.Contains("final_layer")) p.mul_(0.2);
            Safetensors.SaveStateDict(Path.Combine(folder, "model.safetensors"), model.state_dict());
        }
        File.WriteAllText(Path.Combine(folder, "config.json"),
            """{ "input_size": 32, "patch_size": 4, "in_channels": 1, "hidden_size": 64, "depth": 2, "num_heads": 4, "num_classes": 10, "learn_sigma": false, "mlp_ratio": 4 }""");
        File.WriteAllText(Path.Combine(folder, "defaults.json"),
            $$"""{ "steps": {{steps}}, "scheduler": "ddim", "guidanceScale": 4, "betaSchedule": "squaredcos_cap_v2", "clipSample": true, "searchMetric": "guided" }""");
        return folder;
    }
}
