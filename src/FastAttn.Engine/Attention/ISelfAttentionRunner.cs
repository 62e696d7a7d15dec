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
