using static TorchSharp.torch;

namespace FastAttn.Engine.Models;

/// <summary>
/// Each layer's cross-attention keys and values of one generation's forward chunk (PixArt, Open-Sora; issue #19). They
/// depend only on the caption, which is the same at every denoising step, so the first step's projections are kept and
/// every later step reads them instead of projecting again: the same values, bit for bit. The cache is bound to the
/// caption tensor a pipeline passes to the model's <c>Prepare</c> every step; another caption tensor empties it, so a
/// cache can never serve another caption's keys. Memory: layers × 2 × B × L × D elements; the owner (the pipeline's
/// sampling loop) disposes it when the generation ends.
/// </summary>
public sealed class CrossAttentionCache : IDisposable
{
    private readonly Tensor?[] _keys, _values;
    private Tensor? _caption;

    /// <summary>Creates an empty cache for a model of <paramref name="layers"/> blocks.</summary>
    public CrossAttentionCache(int layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        (_keys, _values) = (new Tensor?[layers], new Tensor?[layers]);
    }

    /// <summary>Bytes held by the cached keys and values.</summary>
    public long Bytes => _keys.Concat(_values).Sum(t => t is null ? 0 : t.ElementSize * t.numel());

    /// <summary>How many layers' projections were computed (not read from the cache) since the cache was created.</summary>
    public int Computed { get; private set; }

    /// <summary>Binds the cache to <paramref name="caption"/> (the caption input of a forward pass); another caption empties it.</summary>
    public void Bind(Tensor caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        if (ReferenceEquals(_caption, caption)) return;
        Clear();
        _caption = caption;
    }

    /// <summary>
    /// Layer <paramref name="layer"/>'s keys and values: the cached ones, or <paramref name="project"/>'s, kept for later
    /// steps. The returned tensors belong to the cache (not to the caller's dispose scope): do not dispose them.
    /// </summary>
    public (Tensor Keys, Tensor Values) GetOrAdd(int layer, Func<(Tensor Keys, Tensor Values)> project)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (_keys[layer] is Tensor k && _values[layer] is Tensor v) return (k, v);
        var (keys, values) = project();
        _keys[layer] = keys.detach().DetachFromDisposeScope();
        _values[layer] = values.detach().DetachFromDisposeScope();
        Computed++;
        return (_keys[layer]!, _values[layer]!);
    }

    /// <inheritdoc />
    public void Dispose() => Clear();

    private void Clear()
    {
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l]?.Dispose();
            _values[l]?.Dispose();
            (_keys[l], _values[l]) = (null, null);
        }
        _caption = null;
    }
}

/// <summary>One <see cref="CrossAttentionCache"/> per forward chunk of a generation, disposed together.</summary>
public sealed class CrossAttentionCaches : IDisposable
{
    private readonly CrossAttentionCache[] _chunks;

    /// <summary>Creates <paramref name="chunks"/> empty caches for a model of <paramref name="layers"/> blocks.</summary>
    public CrossAttentionCaches(int chunks, int layers) =>
        _chunks = Enumerable.Range(0, chunks).Select(_ => new CrossAttentionCache(layers)).ToArray();

    /// <summary>The cache of chunk <paramref name="chunk"/>.</summary>
    public CrossAttentionCache this[int chunk] => _chunks[chunk];

    /// <summary>Bytes held by all chunks' caches.</summary>
    public long Bytes => _chunks.Sum(c => c.Bytes);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var cache in _chunks) cache.Dispose();
    }
}
