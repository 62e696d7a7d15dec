using FastAttn.Engine.Models.DiT;
using static TorchSharp.torch;

namespace FastAttn.Engine.Attention;

/// <summary>
/// Decides how a transformer block's self-attention is computed on one forward pass. The default computes full
/// attention; DiTFastAttn's runner substitutes window attention, shared outputs or CFG sharing per layer and step.
/// </summary>
public interface ISelfAttentionRunner
{
    /// <summary>Called before the forward passes of denoising step <paramref name="stepIndex"/>.</summary>
    void BeginStep(int stepIndex)
    {
    }

    /// <summary>Computes block <paramref name="layer"/>'s self-attention output (B, N, D) for the modulated input <paramref name="x"/>.</summary>
    Tensor Run(int layer, IAttentionProjections attention, Tensor x);

    /// <summary>
    /// Whether <see cref="Run"/> for block <paramref name="layer"/> at the current step returns a cached output of shape
    /// <paramref name="shape"/> without reading its input, so that a block may skip computing that input (its norm and
    /// modulation) and pass any tensor of that shape instead: the output is the same. False by default.
    /// </summary>
    bool ReusesAttention(int layer, long[] shape) => false;

    /// <summary>
    /// Whether <see cref="RunFeedForward"/> for block <paramref name="layer"/> at the current step returns a cached output of
    /// shape <paramref name="shape"/> without reading its input (as <see cref="ReusesAttention"/>). False by default.
    /// </summary>
    bool ReusesFeedForward(int layer, long[] shape) => false;

    /// <summary>
    /// Block <paramref name="layer"/>'s gated feed-forward output <paramref name="gate"/> · <paramref name="feedForward"/>(x)
    /// (B, N, D) for the modulated input <paramref name="x"/>. Block-scope plans reuse it across steps or CFG halves.
    /// </summary>
    Tensor RunFeedForward(int layer, Func<Tensor, Tensor> feedForward, Tensor x, Tensor gate) => gate * feedForward(x);

    /// <summary>
    /// Block <paramref name="layer"/>'s cross-attention output <paramref name="crossAttention"/>(x) (B, N, D) to the caption
    /// (PixArt, Open-Sora). Block-scope plans may reuse it from an earlier step.
    /// </summary>
    Tensor RunCrossAttention(int layer, Func<Tensor, Tensor> crossAttention, Tensor x) => crossAttention(x);

    /// <summary>
    /// Block <paramref name="layer"/> on tokens <paramref name="h"/>: <paramref name="block"/>(h). Block-scope plans may skip
    /// the block and add its residual contribution from an earlier step instead.
    /// </summary>
    Tensor RunBlock(int layer, Tensor h, Func<Tensor, Tensor> block) => block(h);
}

/// <summary>Plain full attention on every layer.</summary>
public sealed class FullAttentionRunner : ISelfAttentionRunner
{
    /// <summary>The shared instance.</summary>
    public static FullAttentionRunner Instance { get; } = new();

    private FullAttentionRunner() { }

    /// <inheritdoc />
    public Tensor Run(int layer, IAttentionProjections attention, Tensor x) => attention.Attend(x);
}
