namespace FastAttn.Engine.Compression;

/// <summary>In which order the greedy plan search tries the candidate methods of a layer; part of a plan's key.</summary>
public enum CandidateOrder
{
    /// <summary>The reference's fixed order: AST, WA-RS+ASC, WA-RS, ASC, whatever they cost on this device.</summary>
    Reference,

    /// <summary>
    /// Latency-aware (the default of searches): candidates not measurably cheaper than full attention at the model's shape
    /// on the device are skipped, the rest are tried largest measured saving first, a residual refresh they cause charged
    /// to them (see <see cref="PlanSearchOptions.MinimumSaving"/> and docs/latency-aware-plans.md). The key records the device kind.
    /// </summary>
    Measured,
}
