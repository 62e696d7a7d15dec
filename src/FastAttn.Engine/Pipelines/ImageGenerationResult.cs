using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>The output of an image pipeline run (<see cref="DiTPipeline"/>, <see cref="PixArtPipeline"/>). Owns its tensors: dispose it.</summary>
/// <param name="Images">(B, 3 or C, H, W) images in about [-1, 1], not clamped (CPU, fp32).</param>
/// <param name="Latents">(B, C, h, w) final latents (CPU, fp32); the same tensor as the images for pixel-space models.</param>
/// <param name="Seeds">The seed each image used.</param>
/// <param name="Elapsed">Wall time of the whole generation.</param>
public sealed record ImageGenerationResult(Tensor Images, Tensor Latents, IReadOnlyList<long> Seeds, TimeSpan Elapsed) : IDisposable
{
    /// <summary>(step, layer) attention computations that fell back to full attention (missing cache or cache cap).</summary>
    public int AttentionFallbacks { get; init; }

    /// <summary>Most bytes the DiTFastAttn caches held at once (all samples).</summary>
    public long PeakCacheBytes { get; init; }

    /// <summary>Wall time spent in the self-attention modules, when <see cref="DiTGenerationRequest.TimeAttention"/> asked for it.</summary>
    public TimeSpan? AttentionTime => ModuleTimes?.Attention;

    /// <summary>Time in each part of the transformer (self-attention, blocks, feed-forward, cross-attention), when timed.</summary>
    public Attention.ModuleTimes? ModuleTimes { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(Images, Latents)) Latents.Dispose();
        Images.Dispose();
    }
}
