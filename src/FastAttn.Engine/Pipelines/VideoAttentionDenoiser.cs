using FastAttn.Engine.Attention;
using FastAttn.Engine.Models;
using FastAttn.Engine.Models.OpenSora;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Points an inner denoiser (a plan's runner, or the plan search) at one self-attention of a video transformer's pass
/// (<see cref="IVideoTransformerPass"/>) and lets <paramref name="other"/> compute the other one — e.g. a spatial plan
/// together with a temporal plan, or a temporal search with full spatial attention. It owns neither the inner denoiser
/// nor the other runner.
/// </summary>
internal sealed class VideoAttentionDenoiser(IDenoiser inner, VideoAttention target, ISelfAttentionRunner other) : IDenoiser
{
    public void BeginStep(int step)
    {
        inner.BeginStep(step);
        other.BeginStep(step);
    }

    public Tensor Forward(int chunk, ITransformerPass pass) => pass is IVideoTransformerPass video
        ? inner.Forward(chunk, video.Targeting(target, other))
        : throw new InvalidOperationException($"The transformer's pass ({pass.GetType().Name}) has no spatial and temporal attention to target.");

    public void Dispose()
    {
    }
}
