using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace FastAttn.Engine.Imaging;

/// <summary>Writes a clip (3, T, H, W) in [−1, 1] as a looping animated GIF and, optionally, its frames as PNGs — atomically.</summary>
public static class AnimatedImageWriter
{
    /// <summary>
    /// Saves <paramref name="video"/> to <paramref name="path"/> (.gif) at <paramref name="fps"/> frames per second, and
    /// each frame to <paramref name="framesFolder"/>/frame-000.png … when given. Returns the frame paths.
    /// </summary>
    public static IReadOnlyList<string> Save(Tensor video, string path, double fps, string? framesFolder = null)
    {
        ArgumentNullException.ThrowIfNull(video);
        ArgumentNullException.ThrowIfNull(path);
        if (video.dim() != 4 || video.shape[0] != 3) throw new ArgumentException($"A clip must be (3, T, H, W); got [{string.Join(", ", video.shape)}].", nameof(video));
        if (fps <= 0) throw new ArgumentOutOfRangeException(nameof(fps), $"Frames per second must be positive; got {fps}.");
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension != ".gif")
            throw new NotSupportedException($"Animated output is written as .gif (ImageSharp 2.x has no animated WebP encoder); got '{extension}'. Frames are also saved as PNGs.");
        int frames = (int)video.shape[1];
        int delay = Math.Max(1, (int)Math.Round(100.0 / fps, MidpointRounding.AwayFromZero));                                // GIF delays are in 1/100 s
        Image<Rgba32>? gif = null;
        var framePaths = new List<string>();
        try
        {
            for (int t = 0; t < frames; t++)
            {
                using var frameTensor = video.select(1, t);
                using var frame = Image.Load<Rgba32>(ImageTensorConverter.ToPng(frameTensor));
                if (framesFolder is not null)
                {
                    Directory.CreateDirectory(framesFolder);
                    var framePath = Path.Combine(framesFolder, $"frame-{t:000}.png");
                    AtomicFile.WriteAllBytes(framePath, ImageTensorConverter.ToPng(frameTensor));
                    framePaths.Add(framePath);
                }
                frame.Frames.RootFrame.Metadata.GetGifMetadata().FrameDelay = delay;
                if (gif is null)
                {
                    gif = frame.Clone();
                    gif.Metadata.GetGifMetadata().RepeatCount = 0;                                 // loop forever
                }
                else gif.Frames.AddFrame(frame.Frames.RootFrame);
            }
            using var stream = new MemoryStream();
            gif!.SaveAsGif(stream, new GifEncoder { ColorTableMode = GifColorTableMode.Local });
            AtomicFile.WriteAllBytes(path, stream.ToArray());
            return framePaths;
        }
        finally
        {
            gif?.Dispose();
        }
    }
}
