namespace FastAttn.Engine.Compression;

/// <summary>Checks that a plan fits the model and pipeline settings it is about to be used with.</summary>
public static class PlanCompatibility
{
    /// <summary>Throws <see cref="PlanMismatchException"/> naming the first field that differs.</summary>
    public static void Check(CompressionPlan plan, string modelFingerprint, int layers, int latentSize, int steps, string scheduler, double guidanceScale)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var k = plan.Key;
        if (!string.Equals(k.ModelFingerprint, modelFingerprint, StringComparison.OrdinalIgnoreCase))
            throw new PlanMismatchException("model", k.ModelFingerprint[..Math.Min(12, k.ModelFingerprint.Length)] + "…", modelFingerprint[..Math.Min(12, modelFingerprint.Length)] + "…");
        if (plan.Layers != layers) throw new PlanMismatchException("layers", plan.Layers.ToString(), layers.ToString());
        if (k.LatentSize != latentSize) throw new PlanMismatchException("latent size", k.LatentSize.ToString(), latentSize.ToString());
        if (k.Steps != steps) throw new PlanMismatchException("steps", k.Steps.ToString(), steps.ToString());
        if (!string.Equals(k.Scheduler, scheduler, StringComparison.OrdinalIgnoreCase)) throw new PlanMismatchException("scheduler", k.Scheduler, scheduler);
        if (Math.Abs(k.GuidanceScale - guidanceScale) > 1e-9)
            throw new PlanMismatchException("guidance scale", PlanSerializer.Invariant(k.GuidanceScale), PlanSerializer.Invariant(guidanceScale));
    }
}
