using FastAttn.Engine.Compression;

namespace FastAttn.Engine.Generation;

/// <summary>A generation of clips (text-to-video models): a <see cref="GenerationRequest"/> plus frames and frame rate.</summary>
public sealed record VideoRequest : GenerationRequest
{
    /// <summary>Frames; null = the model's default.</summary>
    public int? Frames { get; init; }

    /// <summary>Playback frames per second of the output; null = the model's default.</summary>
    public double? Fps { get; init; }

    /// <summary>Optionally, a plan for the temporal self-attention (the main plan compresses the spatial one).</summary>
    public CompressionPlan? TemporalPlan { get; init; }
}
