using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Runtime;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace FastAttn.Engine.Families;

/// <summary>How to load a model: the device and dtypes, family-specific parts, and overrides of the model's own defaults.</summary>
public sealed record ModelLoadSettings
{
    /// <summary>The device (null: CPU).</summary>
    public Device? Device { get; init; }

    /// <summary>Weight dtype of the denoiser and VAE (fp32 on CPU; fp16/bf16 on GPUs).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Weight dtype of a text encoder (bf16 halves T5's memory; arithmetic stays fp32).</summary>
    public ScalarType EncoderDType { get; init; } = ScalarType.BFloat16;

    /// <summary>Latent models loaded from a bare checkpoint: the VAE folder (default: a 'vae' folder beside the weights).</summary>
    public string? Vae { get; init; }

    /// <summary>Attention heads, when a checkpoint does not say and they cannot be inferred.</summary>
    public int? Heads { get; init; }

    /// <summary>Default steps instead of the model's.</summary>
    public int? Steps { get; init; }

    /// <summary>Default sampler instead of the model's.</summary>
    public string? Sampler { get; init; }

    /// <summary>Default guidance scale instead of the model's.</summary>
    public double? GuidanceScale { get; init; }

    /// <summary>Square sizes (pixels) to serve instead of the model's native sizes.</summary>
    public IReadOnlyList<int> Resolutions { get; init; } = [];

    /// <summary>
    /// Generate at any size the architecture supports (a square multiple of the patch for class-conditional models), not
    /// only <see cref="Resolutions"/> / the native size — what a tool asked for a size expects; a served model keeps to its list.
    /// </summary>
    public bool AnySize { get; init; }

    /// <summary>
    /// What attention costs on the device the model runs on: orders and filters the candidates of latency-aware
    /// (measured-order) plan searches and picks the window kernel per shape. Null (the default) uses the device's shared
    /// cost model (<see cref="Attention.Costs.SharedCostModels.For"/>: a <see cref="Attention.Costs.MeasuredCostModel"/>
    /// made on first use, which measures a shape once, in seconds, and caches it on disk), so a user who sets nothing still
    /// gets measured plans; tests give a <see cref="Attention.Costs.FixedCostModel"/>.
    /// </summary>
    public IAttentionCostModel? CostModel { get; init; }

    /// <summary>
    /// Most items (images or clips) in one forward pass: a request's own items, and the items of every request batched
    /// with it (<see cref="Generation.PreparedGeneration.RunTogether"/>), share forward passes up to this many, each item
    /// with its own seed and equal to itself run alone up to floating-point summation order. Default 16; 0 = no cap
    /// (all items in one pass); 1 = one item per pass (bit-identical alone or batched, slowest).
    /// </summary>
    public int MaxItemsPerForward { get; init; } = 16;

    /// <summary>Loggers for the pipelines (null: none).</summary>
    public ILoggerFactory? Loggers { get; init; }

    /// <summary>Settings for <paramref name="device"/> ("auto", "cpu", "cuda"): that device and its default dtype.</summary>
    public static ModelLoadSettings For(string device = "auto")
    {
        var resolved = DeviceSelector.Resolve(DeviceSelector.Parse(device));
        return new ModelLoadSettings { Device = resolved, DType = DeviceSelector.DefaultDType(resolved) };
    }
}
