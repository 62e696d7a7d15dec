using FastAttn.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace FastAttn.Engine.Generation;

/// <summary>
/// What a generation produced: the items as tensors, each item's seed, timing and the plan's cache figures, and the
/// encoding of each item to a file (<see cref="Encode"/>: PNG here, GIF for <see cref="VideoOutput"/>). Owns its tensors: dispose it.
/// </summary>
public class GenerationOutput : IDisposable
{
    private readonly (int Width, int Height)? _resize;

    /// <summary>Creates the output.</summary>
    /// <param name="items">(B, C, H, W) images in about [−1, 1] (CPU, fp32), or (B, C, T, H, W) clips; the output owns it.</param>
    /// <param name="seeds">Each item's seed.</param>
    /// <param name="elapsed">Wall time of the generation.</param>
    /// <param name="resize">A delivered size the images are resized to when encoded (generated at another size), or null.</param>
    public GenerationOutput(Tensor items, IReadOnlyList<long> seeds, TimeSpan elapsed, (int Width, int Height)? resize = null)
    {
        Items = items ?? throw new ArgumentNullException(nameof(items));
        Seeds = seeds ?? throw new ArgumentNullException(nameof(seeds));
        Elapsed = elapsed;
        _resize = resize;
    }

    /// <summary>The generated items: (B, C, H, W) images, or (B, C, T, H, W) clips.</summary>
    public Tensor Items { get; }

    /// <summary>Items generated.</summary>
    public int Count => (int)Items.shape[0];

    /// <summary>The seed of each item.</summary>
    public IReadOnlyList<long> Seeds { get; }

    /// <summary>Wall time of the whole generation.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>(step, layer) attention computations that fell back to full attention (missing cache or cache cap).</summary>
    public int AttentionFallbacks { get; init; }

    /// <summary>Most bytes the DiTFastAttn caches held at once.</summary>
    public long PeakCacheBytes { get; init; }

    /// <summary>Wall time in the self-attention modules, when the request asked for it.</summary>
    public TimeSpan? AttentionTime => ModuleTimes?.Attention;

    /// <summary>Time in each part of the transformer (self-attention, blocks, feed-forward, cross-attention), when timed.</summary>
    public Attention.ModuleTimes? ModuleTimes { get; init; }

    /// <summary>The file extension of an encoded item (".png").</summary>
    public virtual string FileExtension => ".png";

    /// <summary>The media type of an encoded item ("image/png").</summary>
    public virtual string MediaType => "image/png";

    /// <summary>Item <paramref name="index"/> encoded as a file (PNG at the delivered size).</summary>
    public virtual byte[] Encode(int index)
    {
        using var image = Items[index];
        var png = ImageTensorConverter.ToPng(image);
        if (_resize is not (int w, int h)) return png;
        using var decoded = Image.Load(png);
        decoded.Mutate(x => x.Resize(w, h));
        using var stream = new MemoryStream();
        decoded.SaveAsPng(stream);
        return stream.ToArray();
    }

    /// <summary>Writes item <paramref name="index"/> to <paramref name="path"/> (atomically: a temporary file, then renamed).</summary>
    public void Save(int index, string path) => AtomicFile.WriteAllBytes(path, Encode(index));

    /// <summary>Frees the tensors.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) Items.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
