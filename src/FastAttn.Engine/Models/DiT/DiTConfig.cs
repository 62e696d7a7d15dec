namespace FastAttn.Engine.Models.DiT;

/// <summary>
/// Architecture of a DiT (Peebles &amp; Xie, "Scalable Diffusion Models with Transformers"), as in the reference
/// <c>models.py</c>. Sizes are in latent (or pixel, for pixel-space models) units.
/// </summary>
/// <param name="InputSize">Side of the square input the model was trained on (e.g. 32 for a 256px DiT with an 8× VAE).</param>
/// <param name="PatchSize">Patch side p (2, 4 or 8 in the reference configs).</param>
/// <param name="InChannels">Input channels (4 for SD-VAE latents, 1 for grayscale pixels).</param>
/// <param name="HiddenSize">Transformer width D.</param>
/// <param name="Depth">Number of DiT blocks.</param>
/// <param name="NumHeads">Attention heads; D must be divisible by it.</param>
/// <param name="NumClasses">Number of class labels (the null label for guidance is <c>NumClasses</c>).</param>
/// <param name="LearnSigma">Whether the model also predicts the variance interpolation (2× output channels).</param>
public sealed record DiTConfig(
    int InputSize,
    int PatchSize,
    int InChannels,
    int HiddenSize,
    int Depth,
    int NumHeads,
    int NumClasses,
    bool LearnSigma = true)
{
    /// <summary>MLP hidden width as a multiple of D (4 in every reference config).</summary>
    public double MlpRatio { get; init; } = 4.0;

    /// <summary>Whether the label table has the extra null row used for classifier-free guidance.</summary>
    public bool HasNullClass { get; init; } = true;

    /// <summary>Timestep-embedding convention: the reference's, or diffusers' (see <see cref="DiTFlavor"/>).</summary>
    public DiTFlavor Flavor { get; init; } = DiTFlavor.Reference;

    /// <summary>
    /// Whether every block carries its own copy of the timestep/label embedders (a diffusers-layout checkpoint whose
    /// copies differ). The reference architecture shares one pair.
    /// </summary>
    public bool PerBlockConditioning { get; init; }

    /// <summary>Output channels: <see cref="InChannels"/>, doubled when <see cref="LearnSigma"/>.</summary>
    public int OutChannels => LearnSigma ? InChannels * 2 : InChannels;

    /// <summary>Width of one attention head.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Tokens for the trained input size: (InputSize / PatchSize)².</summary>
    public int NumTokens => (InputSize / PatchSize) * (InputSize / PatchSize);

    /// <summary>LayerNorm epsilon before the MLP (1e-6 in the reference; diffusers uses its norm_eps, 1e-5).</summary>
    public double MlpNormEps => Flavor == DiTFlavor.Diffusers ? 1e-5 : 1e-6;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        if (PatchSize <= 0) throw new ArgumentException($"patch size must be positive, got {PatchSize}.");
        if (InputSize <= 0 || InputSize % PatchSize != 0)
            throw new ArgumentException($"input size {InputSize} must be a positive multiple of the patch size {PatchSize}.");
        if (InChannels <= 0) throw new ArgumentException($"in channels must be positive, got {InChannels}.");
        if (Depth <= 0) throw new ArgumentException($"depth must be positive, got {Depth}.");
        if (NumHeads <= 0 || HiddenSize <= 0 || HiddenSize % NumHeads != 0)
            throw new ArgumentException($"hidden size {HiddenSize} must be divisible by the number of heads {NumHeads}.");
        if (HiddenSize % 4 != 0) throw new ArgumentException($"hidden size {HiddenSize} must be divisible by 4 (2-D sin-cos position table).");
        if (NumClasses <= 0) throw new ArgumentException($"class count must be positive, got {NumClasses}.");
    }
}

/// <summary>Numerical conventions that differ between the reference DiT and diffusers' port of it.</summary>
public enum DiTFlavor
{
    /// <summary>facebookresearch/DiT: timestep frequencies exp(−ln 10⁴·k/128), all LayerNorm eps 1e-6.</summary>
    Reference,

    /// <summary>diffusers DiTTransformer2DModel: frequencies exp(−ln 10⁴·k/127) (downscale_freq_shift 1), MLP LayerNorm eps 1e-5.</summary>
    Diffusers,
}
