namespace FastAttn.Plugin.Options;

/// <summary>One model the engine serves (an entry of <see cref="FastAttnOptions.Models"/>).</summary>
public sealed class FastAttnModelOptions
{
    /// <summary>The checkpoint: a .pt/.safetensors file, a model or diffusers pipeline folder, or a built-in model's name.</summary>
    public string Path { get; set; } = "";

    /// <summary>A diffusers VAE folder (default: <c>vae/</c> beside the model; none for pixel-space models).</summary>
    public string? Vae { get; set; }

    /// <summary>
    /// The model family: <c>dit</c> (class-conditional DiT), <c>pixart</c> (a diffusers PixArt pipeline folder, text to
    /// image), <c>opensora</c> (an Open-Sora v1.1 folder, text to video) or <c>auto</c> (default: recognised from the folder).
    /// </summary>
    public string Kind { get; set; } = "auto";

    /// <summary>PixArt: the T5 encoder's weight dtype, <c>bf16</c> (default: half the memory, fp32 arithmetic) or <c>fp32</c>.</summary>
    public string EncoderDType { get; set; } = "bf16";

    /// <summary>
    /// Image sizes (pixels, square) it may be asked for; default: its trained size (DiT) or its aspect-ratio buckets
    /// (PixArt).
    /// </summary>
    public List<int> Resolutions { get; set; } = [];

    /// <summary>Denoising steps (default: the model's defaults.json, else 50; PixArt 20).</summary>
    public int? Steps { get; set; }

    /// <summary>Sampler name (default: the model's, else ddim; PixArt: its scheduler_config.json).</summary>
    public string? Scheduler { get; set; }

    /// <summary>Classifier-free guidance scale (default: the model's, else 4; PixArt 4.5).</summary>
    public double? GuidanceScale { get; set; }
}
