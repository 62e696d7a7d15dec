namespace FastAttn.Plugin.Options;

/// <summary>One model the engine serves (an entry of <see cref="FastAttnOptions.Models"/>).</summary>
public sealed class FastAttnModelOptions
{
    /// <summary>The checkpoint: a .pt/.safetensors file, a model or diffusers pipeline folder, or a built-in model's name.</summary>
    public string Path { get; set; } = "";

    /// <summary>A diffusers VAE folder (default: <c>vae/</c> beside the model; none for pixel-space models).</summary>
    public string? Vae { get; set; }

    /// <summary>The model family: <c>dit</c> (class-conditional DiT, the only one served so far).</summary>
    public string Kind { get; set; } = "dit";

    /// <summary>Image sizes (pixels, square) it may be asked for; default: its trained size.</summary>
    public List<int> Resolutions { get; set; } = [];

    /// <summary>Denoising steps (default: the model's defaults.json, else 50).</summary>
    public int? Steps { get; set; }

    /// <summary>Sampler name (default: the model's, else ddim).</summary>
    public string? Scheduler { get; set; }

    /// <summary>Classifier-free guidance scale (default: the model's, else 4).</summary>
    public double? GuidanceScale { get; set; }
}
