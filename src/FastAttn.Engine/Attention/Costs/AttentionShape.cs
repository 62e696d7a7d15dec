namespace FastAttn.Engine.Attention.Costs;

/// <summary>The shape an attention layer's cost depends on.</summary>
/// <param name="Tokens">Sequence length N.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="HeadDim">Width of one head.</param>
/// <param name="Batch">Samples per forward pass; the default 2 is one CFG pair.</param>
/// <param name="Semantics">The window's semantics.</param>
/// <param name="HalfWidth">The window's half-width w (null: N/8, <see cref="WindowSpec.DefaultHalfWidth"/>).</param>
public sealed record AttentionShape(int Tokens, int Heads, int HeadDim, int Batch = 2, WindowSemantics Semantics = WindowSemantics.BlockBand,
    int? HalfWidth = null)
{
    /// <summary>Sequence length N.</summary>
    public int Tokens { get; init; } =
        Tokens > 0 ? Tokens : throw new ArgumentOutOfRangeException(nameof(Tokens), $"Tokens must be positive; got {Tokens}.");

    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } =
        Heads > 0 ? Heads : throw new ArgumentOutOfRangeException(nameof(Heads), $"Heads must be positive; got {Heads}.");

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; init; } =
        HeadDim > 0 ? HeadDim : throw new ArgumentOutOfRangeException(nameof(HeadDim), $"Head width must be positive; got {HeadDim}.");

    /// <summary>Samples per forward pass (2 = one CFG pair; CFG-sharing methods compute half of it).</summary>
    public int Batch { get; init; } =
        Batch > 0 ? Batch : throw new ArgumentOutOfRangeException(nameof(Batch), $"Batch must be positive; got {Batch}.");

    /// <summary>
    /// The window's half-width, null when it is the default N/8 — normalised here, so a shape built from a window spec and one
    /// built without a half-width are equal and share one cache entry.
    /// </summary>
    public int? HalfWidth { get; init; } = HalfWidth == WindowSpec.DefaultHalfWidth(Tokens) ? null : HalfWidth;

    /// <summary>The window these costs are for.</summary>
    public WindowSpec Window => WindowSpec.ForTokens(Tokens, Semantics, HalfWidth);

    /// <summary>A stable text form, used in cache keys: n64-h4-d32-b2-block-w8.</summary>
    public override string ToString() =>
        $"n{Tokens}-h{Heads}-d{HeadDim}-b{Batch}-{(Semantics == WindowSemantics.BlockBand ? "block" : "token")}-w{Window.HalfWidth}";
}
