namespace FastAttn.Engine.Attention;

/// <summary>How a window restricts which keys each query attends to.</summary>
public enum WindowSemantics
{
    /// <summary>
    /// The reference's token band (flash-attn <c>window_size=(w, w)</c>): query i attends keys i−w … i+w of the flattened
    /// token sequence, about 2w+1 keys.
    /// </summary>
    TokenBand,

    /// <summary>
    /// A block band: tokens are cut into blocks of b; a query block attends the key blocks within r blocks of it,
    /// (2r+1)·b keys in the interior. Computable without masks, so faster on fused kernels.
    /// </summary>
    BlockBand,
}

/// <summary>A window: its semantics and size. Build it with <see cref="ForTokens"/> for a sequence length.</summary>
/// <param name="Semantics">Token band or block band.</param>
/// <param name="HalfWidth">w: keys on each side for the token band; the block band is sized to the same keys per query.</param>
/// <param name="BlockSize">Block size b (block band), or the query-block size the token-band kernel works in.</param>
/// <param name="BlockRadius">r: key blocks on each side of a query block (block band).</param>
public sealed record WindowSpec(WindowSemantics Semantics, int HalfWidth, int BlockSize, int BlockRadius)
{
    /// <summary>The paper's default: w = N/8 on each side.</summary>
    public static int DefaultHalfWidth(int tokens) => Math.Max(1, tokens / 8);

    /// <summary>
    /// The window for <paramref name="tokens"/> tokens with half-width <paramref name="halfWidth"/> (default N/8).
    /// The block band gets r = 1 and b = ⌈(2w+1)/3⌉ rounded up to a multiple of 8, the same keys per query as the token band.
    /// </summary>
    public static WindowSpec ForTokens(int tokens, WindowSemantics semantics = WindowSemantics.BlockBand, int? halfWidth = null, int blockRadius = 1)
    {
        if (tokens <= 0) throw new ArgumentOutOfRangeException(nameof(tokens), $"Token count must be positive; got {tokens}.");
        int w = halfWidth ?? DefaultHalfWidth(tokens);
        if (w < 1) throw new ArgumentOutOfRangeException(nameof(halfWidth), $"Window half-width must be at least 1; got {w}.");
        if (blockRadius < 0) throw new ArgumentOutOfRangeException(nameof(blockRadius), $"Block radius must be ≥ 0; got {blockRadius}.");
        int keys = 2 * w + 1;
        int block = semantics == WindowSemantics.BlockBand
            ? RoundUp((int)Math.Ceiling(keys / (double)(2 * blockRadius + 1)), 8)
            : RoundUp(Math.Max(16, w), 8);
        return new WindowSpec(semantics, w, Math.Min(block, RoundUp(tokens, 8)), blockRadius);
    }

    /// <summary>Number of (query, key) pairs the kernel computes for a sequence of <paramref name="tokens"/> (per head and sample).</summary>
    public long ComputedPairs(int tokens) => Semantics == WindowSemantics.BlockBand
        ? WindowAttention.BlockBandPairs(tokens, BlockSize, BlockRadius)
        : WindowAttention.TokenBandComputedPairs(tokens, HalfWidth, BlockSize);

    /// <summary>Number of (query, key) pairs inside the window itself (what an ideal kernel would compute).</summary>
    public long WindowPairs(int tokens) => Semantics == WindowSemantics.BlockBand
        ? WindowAttention.BlockBandPairs(tokens, BlockSize, BlockRadius)
        : WindowAttention.TokenBandPairs(tokens, HalfWidth);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
