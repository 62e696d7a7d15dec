using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Runtime;
using TorchSharp;

namespace FastAttn.Cli.Commands;

/// <summary>What the benchmarks build when they time shapes rather than a trained model.</summary>
internal static class RandomWeights
{
    /// <summary>A seeded random-weight DiT with its modulation and final layer scaled down so activations stay tame.</summary>
    public static DiTModel DiT(DiTConfig config, torch.Device? device = null)
    {
        torch.manual_seed(4);
        var model = new DiTModel(config);
        using (torch.no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.Contains("adaLN_modulation", StringComparison.Ordinal) || name.Contains("final_layer", StringComparison.Ordinal)) p.mul_(0.2);
        model.eval();
        return device is null || device.type == DeviceType.CPU ? model : model.to(DeviceSelector.DefaultDType(device)).to(device);
    }
}
