using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace FastAttn.Engine.Imaging;

/// <summary>A clip (3, T, H, W) in [−1, 1] as a looping animated GIF and, optionally, its frames as PNGs — written atomically.</summary>
public static class AnimatedImageWriter
{
    /// <summary>
    /// Saves <paramref name="video"/> to <paramref name="path"/> (.gif) at <paramref name="fps"/> frames per second, and
    /// each frame to <paramref name="framesFolder"/>/frame-000.png … when given. Returns the frame paths.
    /// </summary>
    public static IReadOnlyList<string> Save(Tensor video, string path, double fps, string? framesFolder = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension != ".gif")
            throw new NotSupportedException(
                $"Animated output is written as .gif (ImageSharp 2.x has no animated WebP encoder); got '{extension}'. " +
                "Frames are also saved as PNGs.");
        var gif = EncodeGif(video, fps);
        var framePaths = new List<string>();
        if (framesFolder is not null)
        {
            Directory.CreateDirectory(framesFolder);
            for (int t = 0; t < video.shape[1]; t++)
            {
                using var frame = video.select(1, t);
                var framePath = Path.Combine(framesFolder, $"frame-{t:000}.png");
                ImageTensorConverter.SavePng(frame, framePath);
                framePaths.Add(framePath);
            }
        }
        AtomicFile.WriteAllBytes(path, gif);
        return framePaths;
    }

    /// <summary>
    /// The GIF bytes of <paramref name="video"/> (3, T, H, W): every frame with its own palette, looping, 1/<paramref name="fps"/> s each.
    /// </summary>
    public static byte[] EncodeGif(Tensor video, double fps)
    {
        ArgumentNullException.ThrowIfNull(video);
        if (video.dim() != 4 || video.shape[0] != 3)
            throw new ArgumentException($"A clip must be (3, T, H, W); got [{string.Join(", ", video.shape)}].", nameof(video));
        if (fps <= 0 || double.IsNaN(fps)) throw new ArgumentOutOfRangeException(nameof(fps), $"Frames per second must be positive; got {fps}.");
        int delay = Math.Max(1, (int)Math.Round(100.0 / fps, MidpointRounding.AwayFromZero));  // GIF delays are in 1/100 s
        Image<Rgba32>? gif = null;
        try
        {
            for (int t = 0; t < video.shape[1]; t++)
            {
                using var frameTensor = video.select(1, t);
                using var frame = Image.Load<Rgba32>(ImageTensorConverter.ToPng(frameTensor));
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
            return stream.ToArray();
        }
        finally
        {
            gif?.Dispose();
        }
    }
}
