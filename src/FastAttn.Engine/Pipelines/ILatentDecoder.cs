using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>Turns sampled latents into images in [-1, 1] (a VAE decoder; pixel-space models need none).</summary>
public interface ILatentDecoder
{
    /// <summary>(B, C, h, w) latents as sampled (not yet divided by the scaling factor) → (B, 3, H, W) images.</summary>
    Tensor Decode(Tensor latents);
}
