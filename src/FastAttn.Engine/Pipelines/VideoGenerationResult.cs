using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>Generated clips. Dispose to free the tensors.</summary>
/// <param name="Videos">(B, 3, T, H, W) in [−1, 1] (or the latents when not decoded).</param>
/// <param name="Latents">(B, C, T, h, w) final latents.</param>
/// <param name="Seeds">Each clip's seed.</param>
/// <param name="Fps">Playback frames per second.</param>
/// <param name="Elapsed">Wall time of the generation.</param>
public sealed record VideoGenerationResult(Tensor Videos, Tensor Latents, IReadOnlyList<long> Seeds, double Fps, TimeSpan Elapsed) : IDisposable
{
    /// <summary>(step, layer) entries whose cache did not fit and ran full attention.</summary>
    public int AttentionFallbacks { get; init; }

    /// <summary>Peak bytes held by the plan's caches.</summary>
    public long PeakCacheBytes { get; init; }

    /// <summary>Time in the spatial self-attention, when timed.</summary>
    public TimeSpan? AttentionTime => ModuleTimes?.Attention;

    /// <summary>Time in each part of the transformer (self-attention, blocks, feed-forward, cross-attention), when timed.</summary>
    public Attention.ModuleTimes? ModuleTimes { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(Videos, Latents)) Videos.Dispose();
        Latents.Dispose();
    }
}
