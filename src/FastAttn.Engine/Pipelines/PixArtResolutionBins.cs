using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// PixArt's resolution binning: a requested size is generated at the trained aspect-ratio bucket nearest its
/// height/width ratio (the reference's tables for 256, 512, 1024 and 2048 px models), and the image is then resized to
/// cover the requested size and centre-cropped to it.
/// </summary>
public static class PixArtResolutionBins
{
    // Height/width ratio → (height, width) of the 1024-px buckets; the 512 and 256 tables are these halved and quartered.
    private static readonly (string Ratio, int Height, int Width)[] Bins1024 =
    [
        ("0.25", 512, 2048), ("0.28", 512, 1856), ("0.32", 576, 1792), ("0.33", 576, 1728), ("0.35", 576, 1664), ("0.4", 640, 1600),
        ("0.42", 640, 1536), ("0.48", 704, 1472), ("0.5", 704, 1408), ("0.52", 704, 1344), ("0.57", 768, 1344), ("0.6", 768, 1280),
        ("0.68", 832, 1216), ("0.72", 832, 1152), ("0.78", 896, 1152), ("0.82", 896, 1088), ("0.88", 960, 1088), ("0.94", 960, 1024),
        ("1.0", 1024, 1024), ("1.07", 1024, 960), ("1.13", 1088, 960), ("1.21", 1088, 896), ("1.29", 1152, 896), ("1.38", 1152, 832),
        ("1.46", 1216, 832), ("1.67", 1280, 768), ("1.75", 1344, 768), ("2.0", 1408, 704), ("2.09", 1472, 704), ("2.4", 1536, 640),
        ("2.5", 1600, 640), ("3.0", 1728, 576), ("4.0", 2048, 512),
    ];

    private static readonly (string Ratio, int Height, int Width)[] Bins2048 =
    [
        ("0.25", 1024, 4096), ("0.26", 1024, 3968), ("0.27", 1024, 3840), ("0.28", 1024, 3712), ("0.32", 1152, 3584), ("0.33", 1152, 3456),
        ("0.35", 1152, 3328), ("0.4", 1280, 3200), ("0.42", 1280, 3072), ("0.48", 1408, 2944), ("0.5", 1408, 2816), ("0.52", 1408, 2688),
        ("0.57", 1536, 2688), ("0.6", 1536, 2560), ("0.68", 1664, 2432), ("0.72", 1664, 2304), ("0.78", 1792, 2304), ("0.82", 1792, 2176),
        ("0.88", 1920, 2176), ("0.94", 1920, 2048), ("1.0", 2048, 2048), ("1.07", 2048, 1920), ("1.13", 2176, 1920), ("1.21", 2176, 1792),
        ("1.29", 2304, 1792), ("1.38", 2304, 1664), ("1.46", 2432, 1664), ("1.67", 2560, 1536), ("1.75", 2688, 1536), ("2.0", 2816, 1408),
        ("2.09", 2944, 1408), ("2.4", 3072, 1280), ("2.5", 3200, 1280), ("2.89", 3328, 1152), ("3.0", 3456, 1152), ("3.11", 3584, 1152),
        ("3.62", 3712, 1024), ("3.75", 3840, 1024), ("3.88", 3968, 1024), ("4.0", 4096, 1024),
    ];

    /// <summary>The buckets of a model trained at <paramref name="sampleSize"/> latent pixels (32/64/128/256), or null when it has none.</summary>
    public static IReadOnlyList<(string Ratio, int Height, int Width)>? For(int sampleSize) => sampleSize switch
    {
        256 => Bins2048,
        128 => Bins1024,
        64 => Bins1024.Select(b => (b.Ratio, b.Height / 2, b.Width / 2)).ToArray(),
        32 => Bins1024.Select(b => (b.Ratio, b.Height / 4, b.Width / 4)).ToArray(),
        _ => null,
    };

    /// <summary>The bucket (height, width) whose ratio is nearest height/width (the first on ties, as the reference).</summary>
    public static (int Height, int Width) Classify(int height, int width, IReadOnlyList<(string Ratio, int Height, int Width)> bins)
    {
        ArgumentNullException.ThrowIfNull(bins);
        double ratio = height / (double)width;
        var best = bins[0];
        double bestDistance = double.MaxValue;
        foreach (var b in bins)
        {
            double distance = Math.Abs(double.Parse(b.Ratio, CultureInfo.InvariantCulture) - ratio);
            if (distance < bestDistance) { best = b; bestDistance = distance; }
        }
        return (best.Height, best.Width);
    }

    /// <summary>
    /// Images (B, C, H, W) resized (bilinear) to cover <paramref name="width"/>×<paramref name="height"/>, then centre-cropped
    /// to it.
    /// </summary>
    public static Tensor ResizeAndCrop(Tensor images, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(images);
        long h = images.shape[2], w = images.shape[3];
        if (h == height && w == width) return images.alias();
        using var scope = NewDisposeScope();
        double scale = Math.Max(height / (double)h, width / (double)w);
        long rh = (long)(h * scale), rw = (long)(w * scale);
        var resized = nn.functional.interpolate(images, size: [rh, rw], mode: InterpolationMode.Bilinear, align_corners: false);
        long top = (rh - height) / 2, left = (rw - width) / 2;
        return resized.narrow(2, top, height).narrow(3, left, width).contiguous().MoveToOuterDisposeScope();
    }
}
