using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>
/// A DiTFastAttn compression plan: the attention method of every (step, layer), with the key it was searched for; a
/// block-scope plan (<see cref="SearchScope.Block"/>) also gives every (step, layer) its <see cref="BlockMethod"/>.
/// </summary>
public sealed class CompressionPlan
{
    /// <summary>Creates a plan; <paramref name="methods"/> is [step][layer].</summary>
    public CompressionPlan(PlanKey key, AttentionMethod[][] methods, PlanSearchReport? search = null, PlanModelShape? shape = null)
    {
        Shape = shape;
        Key = key ?? throw new ArgumentNullException(nameof(key));
        ArgumentNullException.ThrowIfNull(methods);
        if (methods.Length != key.Steps)
            throw new ArgumentException($"The plan has {methods.Length} steps but its key says {key.Steps}.", nameof(methods));
        if (methods.Length > 0 && methods.Any(row => row.Length != methods[0].Length))
            throw new ArgumentException("Every step of a plan must list the same number of layers.", nameof(methods));
        Methods = methods;
        Search = search;
    }

    /// <summary>Creates a block-scope plan: attention <paramref name="methods"/> and <paramref name="blocks"/>, both [step][layer].</summary>
    public CompressionPlan(PlanKey key, AttentionMethod[][] methods, BlockMethod[][] blocks, PlanSearchReport? search = null,
        PlanModelShape? shape = null)
        : this(key, methods, search, shape)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Length != methods.Length || blocks.Any(row => row.Length != Layers))
            throw new ArgumentException($"The block methods must be {methods.Length} steps × {Layers} layers, like the attention methods.",
                nameof(blocks));
        if (key.SearchScope != SearchScope.Block)
            throw new ArgumentException($"Block methods belong to a block-scope plan; the key's scope is {key.SearchScope}.", nameof(key));
        Blocks = blocks;
    }

    /// <summary>What the plan was made for.</summary>
    public PlanKey Key { get; }

    /// <summary>The method of each layer at each step, [step][layer].</summary>
    public AttentionMethod[][] Methods { get; }

    /// <summary>
    /// The block method of each layer at each step, [step][layer], for a block-scope plan; null for an attention-scope plan
    /// (every block computed, its feed-forward in full).
    /// </summary>
    public BlockMethod[][]? Blocks { get; }

    /// <summary>The block method of (<paramref name="step"/>, <paramref name="layer"/>); <see cref="BlockMethod.Full"/> without a grid.</summary>
    public BlockMethod BlockAt(int step, int layer) => Blocks is null ? BlockMethod.Full : Blocks[step][layer];

    /// <summary>How the plan was searched (cost, losses), when known.</summary>
    public PlanSearchReport? Search { get; }

    /// <summary>The model shape the FLOPs of the plan depend on (tokens, width), when recorded.</summary>
    public PlanModelShape? Shape { get; }

    /// <summary>
    /// The plan's FLOPs fractions, when its model shape is recorded: the attention ones of the attention it compresses, the
    /// transformer one of the whole model (<see cref="TransformerFlops"/>).
    /// </summary>
    public FlopsFractions? Flops => Shape is PlanModelShape s && TransformerFlops is var (plan, full)
        ? AttentionFlops.Evaluate(Methods, FlopsShapeOf(s), Key.Window) with { TransformerFraction = full.Total > 0 ? plan.Total / full.Total : 1 }
        : null;

    /// <summary>
    /// The plan's FLOPs per part of the transformer and the all-full plan's, when its model shape is recorded. A video plan
    /// that records its clip's frames and tokens per frame (<see cref="PlanModelShape.Frames"/>) counts the whole STDiT2 block:
    /// a spatial plan beside full temporal attention, a temporal plan (its methods on the temporal attention) beside full spatial
    /// attention. Other plans count the attention they compress as the self-attention.
    /// </summary>
    public (TransformerFlops Plan, TransformerFlops Full)? TransformerFlops
    {
        get
        {
            if (Shape is not PlanModelShape s) return null;
            if (!Key.IsVideo || s.Frames is not int frames || s.FrameTokens is not int frameTokens)
                return TransformerFlopsAccounting.Evaluate(Methods, Blocks, FlopsShapeOf(s), Key.Window);
            var video = FlopsShapeOf(s) with { Tokens = frameTokens, Frames = frames };
            if (Key.Target == Models.OpenSora.VideoAttention.Spatial)
                return TransformerFlopsAccounting.Evaluate(Methods, Blocks, video, Key.Window);
            var spatial = Methods.Select(row => row.Select(_ => AttentionMethod.Full).ToArray()).ToArray();
            return TransformerFlopsAccounting.Evaluate(spatial, null, video, WindowSpec.ForTokens(frameTokens), TemporalMethods.Of(this));
        }
    }

    private FlopsShape FlopsShapeOf(PlanModelShape s) =>
        new(s.Tokens, s.Hidden, Layers, Key.GuidanceScale > 1, CaptionTokens: s.CaptionTokens ?? 0);

    /// <summary>Number of transformer layers.</summary>
    public int Layers => Methods.Length == 0 ? 0 : Methods[0].Length;

    /// <summary>An all-full plan (the uncompressed model) for <paramref name="key"/> and <paramref name="layers"/> layers.</summary>
    public static CompressionPlan Full(PlanKey key, int layers, PlanModelShape? shape = null) =>
        new(key, Enumerable.Range(0, key.Steps).Select(_ => Enumerable.Repeat(AttentionMethod.Full, layers).ToArray()).ToArray(), shape: shape);

    /// <summary>How many (step, layer) entries use each method (a reused block's entry counts as AST).</summary>
    public IReadOnlyDictionary<AttentionMethod, int> Counts() =>
        Enum.GetValues<AttentionMethod>().ToDictionary(m => m, m => Methods.Sum(row => row.Count(x => x == m)));

    /// <summary>How many (step, layer) entries use each block method (all full for an attention-scope plan).</summary>
    public IReadOnlyDictionary<BlockMethod, int> BlockCounts() =>
        Enum.GetValues<BlockMethod>().ToDictionary(m => m, m => Blocks?.Sum(row => row.Count(x => x == m))
            ?? (m == BlockMethod.Full ? Methods.Sum(row => row.Length) : 0));
}

/// <summary>The model shape recorded with a plan, for its FLOPs.</summary>
/// <param name="Tokens">Sequence length N.</param>
/// <param name="Hidden">Model width D.</param>
public sealed record PlanModelShape(int Tokens, int Hidden)
{
    /// <summary>Attention heads (recorded by searches since plan format 3; null when unknown), for the plan's cost prediction.</summary>
    public int? Heads { get; init; }

    /// <summary>
    /// Caption tokens the blocks cross-attend to (PixArt, Open-Sora; null for DiT and plans searched before it was
    /// recorded), for the cross-attention part of the plan's FLOPs.
    /// </summary>
    public int? CaptionTokens { get; init; }

    /// <summary>
    /// Video models: the frames T of the clip after patching — the temporal self-attention's tokens per call (recorded by Open-Sora
    /// searches; null for images and older plans), for the temporal attention in the plan's FLOPs.
    /// </summary>
    public int? Frames { get; init; }

    /// <summary>
    /// Video models: the tokens S of one frame — the spatial self-attention's tokens per call (recorded with <see cref="Frames"/>;
    /// equal to <see cref="Tokens"/> for a spatial plan, whose <see cref="Tokens"/> is T for a temporal plan).
    /// </summary>
    public int? FrameTokens { get; init; }
}
