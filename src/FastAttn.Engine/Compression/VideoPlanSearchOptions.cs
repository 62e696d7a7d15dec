using FastAttn.Engine.Models.OpenSora;

namespace FastAttn.Engine.Compression;

/// <summary>Plan-search settings of a text-to-video model: calibration prompts on a latent clip, and which self-attention to compress.</summary>
public sealed record VideoPlanSearchOptions : TextPlanSearchOptions
{
    /// <summary>Latent frames (the clip's frames).</summary>
    public required int LatentFrames { get; init; }

    /// <summary>Which self-attention the plan compresses (spatial, the reference's, by default).</summary>
    public VideoAttention Target { get; init; } = VideoAttention.Spatial;
}
