using FastAttn.Engine.Models.DiT;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>How to load a DiT checkpoint.</summary>
public sealed record DiTLoadOptions
{
    /// <summary>The architecture, when known; otherwise read from config files or metadata, else inferred from shapes.</summary>
    public DiTConfig? Config { get; init; }

    /// <summary>Attention heads, for inference from shapes when the width is not a reference config's.</summary>
    public int? NumHeads { get; init; }

    /// <summary>
    /// Side of the input to build the model for (latent or pixel units), when it differs from the size the checkpoint
    /// was trained at: its position table is then recomputed. Null keeps the trained size.
    /// </summary>
    public int? InputSize { get; init; }

    /// <summary>Require exactly the model's keys and shapes (default). Off: load what matches and report the rest.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>Target device (default CPU).</summary>
    public Device? Device { get; init; }

    /// <summary>Target dtype (default fp32; use fp16/bf16 on GPU).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;
}
