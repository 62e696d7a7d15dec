namespace FastAttn.Engine.Compression;

/// <summary>What the greedy plan search compares a candidate's output with the uncompressed output on.</summary>
public enum SearchMetric
{
    /// <summary>
    /// The raw transformer output of the whole CFG batch, all channels, before guidance (the reference's and the
    /// paper's choice; default).
    /// </summary>
    RawOutput,

    /// <summary>
    /// The guided output the sampler consumes (uncond + s·(cond − uncond)). At high guidance scales a small error in
    /// the difference of the halves — what CFG sharing perturbs — is amplified s times in the sample; this metric sees
    /// it. Same as <see cref="RawOutput"/> without guidance.
    /// </summary>
    GuidedOutput,

    /// <summary>
    /// Structural similarity of the images the outputs lead to (paper appendix A.7): at each step the guided output's
    /// clean-sample estimate x̂₀ is decoded (VAE, or the pixels of a pixel-space model) and the loss is 1 − SSIM against the
    /// uncompressed output's image (<see cref="StructuralSimilarity"/>; Gaussian window 11, σ 1.5, per channel on [0, 1]).
    /// The threshold keeps its meaning, (i+1)/L·δ on the loss; the paper found δ should be about 1/10 of the MRAE one for
    /// like quality. Each trial decodes the calibration batch once, which costs far more than MRAE on a large VAE.
    /// </summary>
    Ssim,
}
