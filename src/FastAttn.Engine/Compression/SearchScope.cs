namespace FastAttn.Engine.Compression;

/// <summary>What one decision of the greedy plan search covers; part of a plan's key.</summary>
public enum SearchScope
{
    /// <summary>One self-attention module per layer and step (the paper's; the default).</summary>
    Attention,
}
