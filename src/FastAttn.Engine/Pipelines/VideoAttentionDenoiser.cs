using FastAttn.Engine.Attention;
using FastAttn.Engine.Models;
using FastAttn.Engine.Models.OpenSora;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Points an inner denoiser (a plan's runner, or the plan search) at one self-attention of a video transformer's pass
/// (<see cref="IVideoTransformerPass"/>) and lets the other runner compute the other one — e.g. a spatial plan
/// together with a temporal plan, or a temporal search with full spatial attention. The other runner is one for every
/// forward chunk, or one per chunk (each chunk keeps its own caches). It owns neither the inner denoiser nor the runners.
/// </summary>
internal sealed class VideoAttentionDenoiser : IDenoiser
{
    private readonly IDenoiser _inner;
    private readonly VideoAttention _target;
    private readonly ISelfAttentionRunner[] _others;

    /// <summary>Targets <paramref name="target"/> with <paramref name="inner"/>; <paramref name="others"/>: one runner, or one per chunk.</summary>
    public VideoAttentionDenoiser(IDenoiser inner, VideoAttention target, params ISelfAttentionRunner[] others)
    {
        if (others.Length == 0) throw new ArgumentException("Give the other attention's runner.", nameof(others));
        _inner = inner;
        _target = target;
        _others = others;
    }

    public void BeginStep(int step)
    {
        _inner.BeginStep(step);
        foreach (var other in _others) other.BeginStep(step);
    }

    public void BeginSample(Sampling.IDiffusionScheduler scheduler, int step, Tensor sample) => _inner.BeginSample(scheduler, step, sample);

    public Tensor Forward(int chunk, ITransformerPass pass) => pass is IVideoTransformerPass video
        ? _inner.Forward(chunk, video.Targeting(_target, _others.Length == 1 ? _others[0] : _others[chunk]))
        : throw new InvalidOperationException($"The transformer's pass ({pass.GetType().Name}) has no spatial and temporal attention to target.");

    public void Dispose()
    {
    }
}
