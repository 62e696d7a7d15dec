using FastAttn.Engine.Attention;
using FastAttn.Engine.Models;
using FastAttn.Engine.Models.OpenSora;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Points an inner denoiser (a plan's runner, or the plan search) at one of STDiT2's self-attentions and lets
/// <paramref name="other"/> compute the other one — e.g. a spatial plan together with a temporal plan, or a temporal
/// search with full spatial attention. It owns neither the inner denoiser nor the other runner.
/// </summary>
internal sealed class VideoAttentionDenoiser(IDenoiser inner, VideoAttention target, ISelfAttentionRunner other) : IDenoiser
{
    public void BeginStep(int step)
    {
        inner.BeginStep(step);
        other.BeginStep(step);
    }

    public Tensor Forward(int chunk, ITransformerPass pass)
    {
        if (pass is STDiT2ForwardState state)
        {
            state.Target = target;
            state.OtherRunner = other;
        }
        return inner.Forward(chunk, pass);
    }

    public void Dispose()
    {
    }
}
