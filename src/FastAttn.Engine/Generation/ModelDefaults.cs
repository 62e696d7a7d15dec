using System.Drawing;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Generation;

/// <summary>What a loaded model generates when a request leaves a setting unset, and the sizes it makes natively.</summary>
public sealed record ModelDefaults
{
    /// <summary>Denoising steps.</summary>
    public required int Steps { get; init; }

    /// <summary>The sampler.</summary>
    public required IDiffusionSchedulerFactory Scheduler { get; init; }

    /// <summary>Classifier-free guidance scale.</summary>
    public required double GuidanceScale { get; init; }

    /// <summary>The trained size in pixels (the default size).</summary>
    public required Size NativeSize { get; init; }

    /// <summary>Sizes (pixels) generated without resizing: the trained square sizes, or the aspect-ratio buckets.</summary>
    public required IReadOnlyList<Size> Sizes { get; init; }

    /// <summary>Video models: frames per clip; null for image models.</summary>
    public int? Frames { get; init; }

    /// <summary>Video models: playback frames per second; null for image models.</summary>
    public double? Fps { get; init; }

    /// <summary>The supported sizes as text, for errors: "1024x1024, 1088x960, …".</summary>
    public string SizeList => string.Join(", ", Sizes.Select(s => $"{s.Width}x{s.Height}"));
}
