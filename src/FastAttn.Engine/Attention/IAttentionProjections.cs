using static TorchSharp.torch;

namespace FastAttn.Engine.Attention;

/// <summary>
/// The stages of a multi-head self-attention module that DiTFastAttn recombines: the QKV projection, the attention
/// itself (which a runner may replace by window attention, a cached output or a CFG-shared one) and the output
/// projection. Implemented by DiT's fused-QKV attention and PixArt's separate q/k/v attention.
/// </summary>
public interface IAttentionProjections
{
    /// <summary>(B, N, D) → q, k, v each (B, H, N, d).</summary>
    (Tensor Q, Tensor K, Tensor V) ProjectQkv(Tensor x);

    /// <summary>Per-head outputs (B, H, N, d) → (B, N, D) through the output projection.</summary>
    Tensor Project(Tensor heads);

    /// <summary>Full self-attention, (B, N, D) → (B, N, D).</summary>
    Tensor Attend(Tensor x);
}
