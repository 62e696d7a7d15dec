using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>The end of every sampling loop: the final sample brought to the CPU and, for latent models, decoded.</summary>
internal static class LatentImages
{
    /// <summary>
    /// Takes ownership of the final sample <paramref name="x"/> and returns the CPU latents and the images (fp32, CPU; the
    /// same tensor as the latents without a decoder). Nothing is left undisposed if decoding fails or is cancelled.
    /// </summary>
    public static (Tensor Images, Tensor Latents) Finish(Tensor x, ILatentDecoder? decoder, CancellationToken cancellationToken)
    {
        var latents = x.cpu();
        if (!ReferenceEquals(latents, x)) x.Dispose();
        if (decoder is null) return (latents, latents);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var decoded = decoder.Decode(latents);
            return (decoded.to(ScalarType.Float32, CPU, copy: true), latents);
        }
        catch
        {
            latents.Dispose();
            throw;
        }
    }
}
