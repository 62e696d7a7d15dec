using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Sampling;

/// <summary>Which output channels classifier-free guidance extrapolates.</summary>
public enum GuidedChannels
{
    /// <summary>
    /// The reference DiT's choice: only the first 3 channels ("for exact reproducibility"); channel 3 and variance channels unguided.
    /// </summary>
    ReferenceFirstThree,

    /// <summary>diffusers' DiTPipeline and PixArt: every latent (ε) channel; variance channels unguided.</summary>
    AllLatent,
}

/// <summary>Order of the conditional and unconditional halves in a CFG batch.</summary>
public enum CfgBatchOrder
{
    /// <summary>[cond; uncond] — the reference DiT.</summary>
    ConditionalFirst,

    /// <summary>[uncond; cond] — diffusers pipelines and PixArt.</summary>
    UnconditionalFirst,
}

/// <summary>Classifier-free guidance: ε = ε_u + s·(ε_c − ε_u) on the chosen channels.</summary>
public static class ClassifierFreeGuidance
{
    /// <summary>
    /// Combines a CFG-batched model output (2B, C', H, W) into the guided output for the B conditional samples:
    /// guided channels are extrapolated, the others (e.g. learned variance) are the conditional half's.
    /// </summary>
    /// <param name="output">Model output for the doubled batch.</param>
    /// <param name="scale">Guidance scale s (1 = no guidance).</param>
    /// <param name="latentChannels">Number of ε channels C (the sample's channels).</param>
    /// <param name="channels">Which channels to guide.</param>
    /// <param name="order">Batch order of the halves.</param>
    public static Tensor Combine(Tensor output, double scale, int latentChannels, GuidedChannels channels, CfgBatchOrder order)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.shape[0] % 2 != 0) throw new ArgumentException($"A CFG batch must be even; got {output.shape[0]}.", nameof(output));
        using var scope = NewDisposeScope();
        var halves = output.chunk(2, 0);
        var (cond, uncond) = order == CfgBatchOrder.ConditionalFirst ? (halves[0], halves[1]) : (halves[1], halves[0]);
        int guided = channels == GuidedChannels.ReferenceFirstThree ? Math.Min(3, latentChannels) : latentChannels;
        var c = cond[.., ..guided];
        var u = uncond[.., ..guided];
        var mixed = u.Plus((c - u).Times(scale));                                                    // (B, g, H, W)
        var result = guided < output.shape[1] ? cat([mixed, cond[.., guided..]], 1) : mixed;
        return result.MoveToOuterDisposeScope();
    }
}
