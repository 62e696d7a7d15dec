using static TorchSharp.torch;

namespace FastAttn.Engine.Families.Random;

/// <summary>How to build a random-weight model: the device, the seed and overrides of its named config's shape.</summary>
public sealed record RandomModelOptions
{
    /// <summary>The device (null: CPU, fp32); other devices get their default dtype.</summary>
    public Device? Device { get; init; }

    /// <summary>Seed of the weights.</summary>
    public long Seed { get; init; } = 4;

    /// <summary>Layers instead of the config's (fewer keeps a CPU run short).</summary>
    public int? Depth { get; init; }

    /// <summary>Width instead of the config's (heads follow at 32 channels each; small configs only).</summary>
    public int? Width { get; init; }

    /// <summary>Square image models: the image side in pixels the config is built for (null: the config's own).</summary>
    public int? Resolution { get; init; }

    /// <summary>The attention cost model the model gets (<see cref="ModelLoadSettings.CostModel"/>).</summary>
    public FastAttn.Engine.Attention.Costs.IAttentionCostModel? CostModel { get; init; }

    /// <summary>Latent input side instead of the config's (small configs only).</summary>
    public int? LatentSize { get; init; }
}
