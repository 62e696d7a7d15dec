namespace FastAttn.Engine.Compression;

/// <summary>In which order the greedy plan search tries the candidate methods of a layer; part of a plan's key.</summary>
public enum CandidateOrder
{
    /// <summary>The reference's fixed order: AST, WA-RS+ASC, WA-RS, ASC (the default).</summary>
    Reference,
}
