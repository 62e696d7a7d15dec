using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>A DiTFastAttn compression plan: the attention method of every (step, layer), with the key it was searched for.</summary>
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

    /// <summary>What the plan was made for.</summary>
    public PlanKey Key { get; }

    /// <summary>The method of each layer at each step, [step][layer].</summary>
    public AttentionMethod[][] Methods { get; }

    /// <summary>How the plan was searched (cost, losses), when known.</summary>
    public PlanSearchReport? Search { get; }

    /// <summary>The model shape the FLOPs of the plan depend on (tokens, width), when recorded.</summary>
    public PlanModelShape? Shape { get; }

    /// <summary>The plan's FLOPs fractions, when its model shape is recorded.</summary>
    public FlopsFractions? Flops => Shape is PlanModelShape s
        ? AttentionFlops.Evaluate(Methods, new FlopsShape(s.Tokens, s.Hidden, Layers, Key.GuidanceScale > 1), Key.Window)
        : null;

    /// <summary>Number of transformer layers.</summary>
    public int Layers => Methods.Length == 0 ? 0 : Methods[0].Length;

    /// <summary>An all-full plan (the uncompressed model) for <paramref name="key"/> and <paramref name="layers"/> layers.</summary>
    public static CompressionPlan Full(PlanKey key, int layers, PlanModelShape? shape = null) =>
        new(key, Enumerable.Range(0, key.Steps).Select(_ => Enumerable.Repeat(AttentionMethod.Full, layers).ToArray()).ToArray(), shape: shape);

    /// <summary>How many (step, layer) entries use each method.</summary>
    public IReadOnlyDictionary<AttentionMethod, int> Counts() =>
        Enum.GetValues<AttentionMethod>().ToDictionary(m => m, m => Methods.Sum(row => row.Count(x => x == m)));
}

/// <summary>The model shape recorded with a plan, for its FLOPs.</summary>
/// <param name="Tokens">Sequence length N.</param>
/// <param name="Hidden">Model width D.</param>
public sealed record PlanModelShape(int Tokens, int Hidden)
{
    /// <summary>Attention heads (recorded by searches since plan format 3; null when unknown), for the plan's cost prediction.</summary>
    public int? Heads { get; init; }
}
