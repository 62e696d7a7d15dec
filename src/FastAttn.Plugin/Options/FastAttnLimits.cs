namespace FastAttn.Plugin.Options;

/// <summary>Per-request limits (requests may be written by an LLM): anything beyond them is refused with a clear error.</summary>
public sealed class FastAttnLimits
{
    /// <summary>Most denoising steps a request may ask for.</summary>
    public int MaxSteps { get; set; } = 100;

    /// <summary>Most images per request.</summary>
    public int MaxImages { get; set; } = 4;

    /// <summary>Largest image side in pixels.</summary>
    public int MaxSize { get; set; } = 1024;

    /// <summary>Longest prompt in characters.</summary>
    public int MaxPromptLength { get; set; } = 1000;

    /// <summary>Most frames per video request.</summary>
    public int MaxFrames { get; set; } = 64;

    /// <summary>Largest guidance scale.</summary>
    public double MaxGuidanceScale { get; set; } = 20;

    /// <summary>A copy of these settings.</summary>
    public FastAttnLimits Clone() => (FastAttnLimits)MemberwiseClone();
}
