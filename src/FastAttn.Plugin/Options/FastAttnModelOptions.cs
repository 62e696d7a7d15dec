namespace FastAttn.Plugin.Options;

/// <summary>One model the engine serves (an entry of <see cref="FastAttnOptions.Models"/>).</summary>
public sealed class FastAttnModelOptions
{
    /// <summary>The checkpoint: a .pt/.safetensors file, a model or diffusers pipeline folder, or a built-in model's name.</summary>
    public string Path { get; set; } = "";

    /// <summary>A diffusers VAE folder (default: <c>vae/</c> beside the model; none for pixel-space models).</summary>
    public string? Vae { get; set; }

    /// <summary>
    /// The model family's name (<c>IModelFamily.Name</c> of a registered family, e.g. <c>dit</c> for a class-conditional
    /// DiT), or <c>auto</c> (default): the first family that recognises <see cref="Path"/>.
    /// </summary>
    public string Kind { get; set; } = "auto";

    /// <summary>Text-conditioned models: the text encoder's weight dtype, <c>bf16</c> (default: half the memory) or <c>fp32</c>.</summary>
    public string EncoderDType { get; set; } = "bf16";

    /// <summary>
    /// Image sizes (pixels, square) it may be asked for; default: the model's native sizes (its trained size, or its
    /// aspect-ratio buckets).
    /// </summary>
    public List<int> Resolutions { get; set; } = [];

    /// <summary>Denoising steps (default: the model's own default).</summary>
    public int? Steps { get; set; }

    /// <summary>Sampler name (default: the model's own, e.g. from its scheduler config).</summary>
    public string? Scheduler { get; set; }

    /// <summary>Classifier-free guidance scale (default: the model's own).</summary>
    public double? GuidanceScale { get; set; }

    /// <summary>A copy sharing no list with this one.</summary>
    public FastAttnModelOptions Clone()
    {
        var copy = (FastAttnModelOptions)MemberwiseClone();
        copy.Resolutions = [.. Resolutions];
        return copy;
    }
}
