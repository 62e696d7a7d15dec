using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.OpenSora;

namespace FastAttn.Engine.Models;

/// <summary>
/// The forward pass of a video transformer whose blocks have two self-attentions, spatial and temporal: a plan (or the
/// plan search) computes one of them, another runner the other.
/// </summary>
public interface IVideoTransformerPass : ITransformerPass
{
    /// <summary>
    /// A view of this pass whose <see cref="ITransformerPass.RunBlock"/> gives its runner the <paramref name="target"/>
    /// self-attention and <paramref name="other"/> the other one. The view shares (and does not dispose) this pass's tensors.
    /// </summary>
    ITransformerPass Targeting(VideoAttention target, ISelfAttentionRunner other);
}
