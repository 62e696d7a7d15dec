namespace FastAttn.Engine.Compression;

/// <summary>What one decision of the greedy plan search covers; part of a plan's key.</summary>
public enum SearchScope
{
    /// <summary>One self-attention module per layer and step (the paper's; the default; presets D1..D6).</summary>
    Attention,

    /// <summary>
    /// The whole block per layer and step: block reuse, the attention methods and the feed-forward (MLP) sharing methods
    /// (issue #19; presets B1..B6, docs/block-caching.md).
    /// </summary>
    Block,
}
