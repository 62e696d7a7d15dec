using FastAttn.Engine.Generation;

namespace FastAttn.Engine.Families.Random;

/// <summary>
/// A random-weight model of a named config (for timing shapes, and for tests): the family's own model behind the seam,
/// with words for reports. Text models use seeded random caption features instead of a text encoder; nothing is decoded.
/// </summary>
public sealed class RandomModel : IGenerativeModel
{
    private readonly IGenerativeModel _inner;
    private readonly Func<PreparedGeneration, string> _describe;

    internal RandomModel(IGenerativeModel inner, string config, Func<PreparedGeneration, string> describe, string attention, string? paper = null)
    {
        _inner = inner;
        _describe = describe;
        Config = config;
        Attention = attention;
        Paper = paper;
    }

    /// <summary>The config's name ("DiT-XL/2" …).</summary>
    public string Config { get; }

    /// <summary>The model running <paramref name="generation"/> in words: shape, depth of the config's, tokens, stand-ins.</summary>
    public string Describe(PreparedGeneration generation)
    {
        ArgumentNullException.ThrowIfNull(generation);
        return _describe(generation);
    }

    /// <summary>The attention plans compress, in words ("self-attention", "spatial self-attention").</summary>
    public string Attention { get; }

    /// <summary>The paper's figures for this config, when it reports any.</summary>
    public string? Paper { get; }

    /// <inheritdoc />
    public string Family => _inner.Family;

    /// <inheritdoc />
    public string Source => _inner.Source;

    /// <inheritdoc />
    public string Fingerprint => _inner.Fingerprint;

    /// <inheritdoc />
    public OutputKind Output => _inner.Output;

    /// <inheritdoc />
    public ConditioningKind Conditioning => _inner.Conditioning;

    /// <inheritdoc />
    public ModelDefaults Defaults => _inner.Defaults;

    /// <inheritdoc />
    public IReadOnlyList<string> PlanFolders => _inner.PlanFolders;

    /// <inheritdoc />
    public PreparedGeneration Prepare(GenerationRequest request) => _inner.Prepare(request);

    /// <inheritdoc />
    public void Dispose() => _inner.Dispose();
}
