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
}
