namespace FastAttn.Engine.Compression;

/// <summary>Checks that a plan fits the model and pipeline settings it is about to be used with.</summary>
public static class PlanCompatibility
{
    /// <summary>Throws <see cref="PlanMismatchException"/> naming the first field that differs.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="modelFingerprint">The model's fingerprint.</param>
    /// <param name="layers">The model's layers.</param>
    /// <param name="latentSize">The latent height (the side of a square latent).</param>
    /// <param name="steps">Denoising steps.</param>
    /// <param name="scheduler">Sampler name.</param>
    /// <param name="guidanceScale">Guidance scale.</param>
    /// <param name="latentWidth">The latent width when not square.</param>
    /// <param name="latentFrames">Latent frames of a video.</param>
    public static void Check(CompressionPlan plan, string modelFingerprint, int layers, int latentSize, int steps, string scheduler,
        double guidanceScale, int? latentWidth = null, int? latentFrames = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var k = plan.Key;
        if (!string.Equals(k.ModelFingerprint, modelFingerprint, StringComparison.OrdinalIgnoreCase))
        {
            throw new PlanMismatchException("model", k.ModelFingerprint[..Math.Min(12, k.ModelFingerprint.Length)] + "…",
                modelFingerprint[..Math.Min(12, modelFingerprint.Length)] + "…");
        }
        if (plan.Layers != layers) throw new PlanMismatchException("layers", plan.Layers.ToString(), layers.ToString());
        var shape = new PlanKey("", latentSize, 0, "", 0, k.Window, 0, "", latentWidth, latentFrames).LatentShape;
        if (k.LatentShape != shape) throw new PlanMismatchException("latent size", k.LatentShape, shape);
        if (k.Steps != steps) throw new PlanMismatchException("steps", k.Steps.ToString(), steps.ToString());
        if (!string.Equals(k.Scheduler, scheduler, StringComparison.OrdinalIgnoreCase))
            throw new PlanMismatchException("scheduler", k.Scheduler, scheduler);
        if (Math.Abs(k.GuidanceScale - guidanceScale) > 1e-9)
            throw new PlanMismatchException("guidance scale", PlanSerializer.Invariant(k.GuidanceScale), PlanSerializer.Invariant(guidanceScale));
    }
}
