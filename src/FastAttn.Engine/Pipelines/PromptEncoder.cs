using FastAttn.Engine.Conditioning;
using FastAttn.Engine.Models.TextEncoder;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Prompts → T5 caption features for the text-conditioned pipelines: the reference's preprocessing
/// (<see cref="CaptionCleaner"/>), the tokenizer (EOS, padding to the caption length, mask) and the encoder, with a cache
/// of encoded prompts. The encoder can be released to save memory; cached prompts stay usable. Thread-safe.
/// </summary>
public sealed class PromptEncoder : IDisposable
{
    private readonly Dictionary<(string, int), (Tensor Embedding, Tensor Mask)> _cache = new();
    private readonly Lock _lock = new();
    private readonly Device _device;
    private readonly bool _ownsEncoder;
    private T5Encoder? _encoder;

    /// <summary>
    /// Creates the encoder; with <paramref name="encoder"/> and <paramref name="tokenizer"/> both null only precomputed embeddings
    /// can be used.
    /// </summary>
    public PromptEncoder(T5Encoder? encoder, T5Tokenizer? tokenizer, Device device, bool ownsEncoder)
    {
        if ((encoder is null) != (tokenizer is null))
            throw new ArgumentException("Give the text encoder and its tokenizer together, or neither.", nameof(tokenizer));
        _encoder = encoder;
        Tokenizer = tokenizer;
        _device = device;
        _ownsEncoder = ownsEncoder;
    }

    /// <summary>The tokenizer, or null without a text encoder.</summary>
    public T5Tokenizer? Tokenizer { get; }

    /// <summary>The encoder's output width, or null when there is none (or it was released).</summary>
    public int? Channels => _encoder?.Config.DModel;

    /// <summary>Whether the encoder is loaded.</summary>
    public bool HasEncoder => _encoder is not null;

    /// <summary>Frees the encoder (gigabytes for T5-XXL); new prompts are then an error.</summary>
    public void Release()
    {
        lock (_lock)
        {
            if (_ownsEncoder) _encoder?.Dispose();
            _encoder = null;
        }
    }

    /// <summary>
    /// Caption features (B, L, C) in fp32 and mask (B, L) for <paramref name="texts"/> after the reference's preprocessing,
    /// cached per preprocessed text. The caller owns the concatenated results.
    /// </summary>
    public (Tensor Embeddings, Tensor Mask) Encode(IReadOnlyList<string> texts, int maxTokens, bool cleanCaption = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var rows = texts.Select(t => EncodeOne(CaptionCleaner.Preprocess(t, cleanCaption), maxTokens)).ToList();
        return (cat(rows.Select(r => r.Embedding).ToList(), 0), cat(rows.Select(r => r.Mask).ToList(), 0));
    }

    private (Tensor Embedding, Tensor Mask) EncodeOne(string text, int maxTokens)
    {
        lock (_lock)
        {
            if (_cache.TryGetValue((text, maxTokens), out var cached)) return cached;
            var encoder = _encoder ?? throw new InvalidOperationException(Tokenizer is null
                ? "This pipeline has no text encoder; give the request PromptEmbeddings (and NegativeEmbeddings when guided)."
                : "The text encoder was released; only prompts encoded before can be used.");
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var (ids, mask) = Tokenizer!.Encode([text], maxTokens);
            var hidden = encoder.forward(ids.to(_device), mask.to(_device));                  // (1, L, C)
            var entry = (hidden.to(ScalarType.Float32).DetachFromDisposeScope(), mask.to(_device).DetachFromDisposeScope());
            if (_cache.Count >= 256) Clear();
            _cache[(text, maxTokens)] = entry;
            return entry;
        }
    }

    private void Clear()
    {
        foreach (var (e, m) in _cache.Values) { e.Dispose(); m.Dispose(); }
        _cache.Clear();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock) Clear();
        Release();
    }
}
