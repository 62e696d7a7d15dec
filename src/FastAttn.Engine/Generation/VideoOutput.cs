using FastAttn.Engine.Imaging;
using static TorchSharp.torch;

namespace FastAttn.Engine.Generation;

/// <summary>Generated clips: (B, 3, T, H, W) in [−1, 1], encoded as animated GIFs at <see cref="Fps"/>.</summary>
/// <param name="clips">(B, 3, T, H, W) clips; the output owns it.</param>
/// <param name="seeds">Each clip's seed.</param>
/// <param name="fps">Playback frames per second.</param>
/// <param name="elapsed">Wall time of the generation.</param>
public sealed class VideoOutput(Tensor clips, IReadOnlyList<long> seeds, double fps, TimeSpan elapsed) : GenerationOutput(clips, seeds, elapsed)
{
    /// <summary>Playback frames per second.</summary>
    public double Fps { get; } = fps;

    /// <summary>Frames per clip.</summary>
    public int Frames => (int)Items.shape[2];

    /// <inheritdoc />
    public override string FileExtension => ".gif";

    /// <inheritdoc />
    public override string MediaType => "image/gif";

    /// <inheritdoc />
    public override byte[] Encode(int index)
    {
        using var clip = Items[index];
        return AnimatedImageWriter.EncodeGif(clip, Fps);
    }

    /// <summary>
    /// Writes clip <paramref name="index"/> as a GIF and, when <paramref name="framesFolder"/> is given, one PNG per frame;
    /// returns the frame paths.
    /// </summary>
    public IReadOnlyList<string> SaveClip(int index, string path, string? framesFolder = null)
    {
        using var clip = Items[index];
        return AnimatedImageWriter.Save(clip, path, Fps, framesFolder);
    }
}
