using FastAttn.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Families.Random;

/// <summary>Seeded random weights that keep sampling finite: the modulation and output layers scaled down.</summary>
internal static class RandomWeights
{
    private static readonly Lock Gate = new();

    /// <summary>
    /// Builds <paramref name="create"/>() under seed <paramref name="seed"/> (the global generator, held exclusively),
    /// scales the parameters <paramref name="tamed"/> names by 0.2, and moves the model to <paramref name="device"/>.
    /// </summary>
    public static T Build<T>(Func<T> create, Func<string, bool> tamed, long seed, Device? device) where T : nn.Module
    {
        T model;
        lock (Gate)
        {
            manual_seed(seed);
            model = create();
        }
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (tamed(name)) p.mul_(Of(0.2));
        model.eval();
        if (device is null || device.type == DeviceType.CPU) return model;
        model.to(DeviceSelector.DefaultDType(device)).to(device);
        return model;
    }

    /// <summary>A positive layer count, or a clear error naming the option.</summary>
    public static int Depth(int depth) =>
        depth >= 1 ? depth : throw new ArgumentException($"The depth must be at least 1; got {depth}.", nameof(depth));
}
