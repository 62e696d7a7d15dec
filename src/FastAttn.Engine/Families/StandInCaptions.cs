using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Families;

/// <summary>
/// Seeded random caption features standing in for a text encoder (random-weight text models, for timing): one prompt
/// row repeated per item, <see cref="Kept"/> of <see cref="Tokens"/> tokens unmasked, and a negative row with one kept.
/// </summary>
internal sealed class StandInCaptions : IDisposable
{
    private readonly Tensor _features;
    private readonly Tensor _mask;
    private readonly Dictionary<int, CaptionEmbeddings> _views = [];

    /// <summary>Creates the features: <paramref name="tokens"/> tokens of <paramref name="channels"/> channels.</summary>
    public StandInCaptions(int tokens, int kept, int channels, long seed)
    {
        Tokens = tokens;
        Kept = kept;
        (_features, _mask) = Random(tokens, kept, channels, seed);
        var (negative, negativeMask) = Random(tokens, 1, channels, seed + 1);
        Negative = new CaptionEmbeddings(negative, negativeMask);
    }

    /// <summary>Caption tokens.</summary>
    public int Tokens { get; }

    /// <summary>Unmasked prompt tokens.</summary>
    public int Kept { get; }

    /// <summary>The negative prompt's features (one row).</summary>
    public CaptionEmbeddings Negative { get; }

    /// <summary>The prompt's features for <paramref name="count"/> items (views of one row, kept until disposed).</summary>
    public CaptionEmbeddings Prompt(int count)
    {
        lock (_views)
        {
            if (!_views.TryGetValue(count, out var view)) _views[count] = view = new(_features.expand(count, -1, -1), _mask.expand(count, -1));
            return view;
        }
    }

    private static (Tensor Features, Tensor Mask) Random(int tokens, int kept, int channels, long seed)
    {
        using var g = new Generator(unchecked((ulong)seed));
        var features = randn([1, tokens, channels], generator: g).mul_(Of(0.1));
        var mask = zeros(1, tokens, ScalarType.Int64);
        using (var keptTokens = mask.narrow(1, 0, kept)) keptTokens.fill_(Of(1));
        return (features, mask);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var view in _views.Values)
        {
            view.Features.Dispose();
            view.Mask.Dispose();
        }
        _features.Dispose();
        _mask.Dispose();
        Negative.Features.Dispose();
        Negative.Mask.Dispose();
    }
}
