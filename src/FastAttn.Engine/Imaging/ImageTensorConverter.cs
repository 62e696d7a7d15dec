using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Imaging;

/// <summary>
/// Turns image tensors in [−1, 1] into 8-bit pictures and PNG files, with the reference's rounding
/// (torchvision save_image after (x + 1)/2: clamp(0, 1) · 255 + 0.5, truncated).
/// </summary>
public static class ImageTensorConverter
{
    /// <summary>(C, H, W) or (1, C, H, W) tensor in [−1, 1], C = 1 or 3 → 8-bit pixels (H·W·C, row-major, interleaved).</summary>
    public static byte[] ToBytes(Tensor image, out int width, out int height, out int channels)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        var chw = image.dim() == 4 ? image[0] : image;
        if (chw.dim() != 3 || (chw.shape[0] != 1 && chw.shape[0] != 3))
            throw new ArgumentException(
                $"Expected an image tensor (C, H, W) with C = 1 or 3; got [{string.Join(", ", image.shape)}].", nameof(image));
        channels = (int)chw.shape[0];
        height = (int)chw.shape[1];
        width = (int)chw.shape[2];
        var bytes = chw.to(ScalarType.Float32, CPU).Plus(1).Over(2).clamp(Of(0), Of(1)).mul(Of(255)).Plus(0.5).clamp(Of(0), Of(255))
            .to(ScalarType.Byte).permute(1, 2, 0).contiguous();                               // (H, W, C) uint8
        return bytes.data<byte>().ToArray();
    }

    /// <summary>An ImageSharp picture of <paramref name="image"/> (RGB, or grayscale for one channel).</summary>
    public static Image ToImage(Tensor image)
    {
        var pixels = ToBytes(image, out int w, out int h, out int c);
        return c == 3 ? Image.LoadPixelData<Rgb24>(pixels, w, h) : Image.LoadPixelData<L8>(pixels, w, h);
    }

    /// <summary>PNG bytes of <paramref name="image"/>.</summary>
    public static byte[] ToPng(Tensor image)
    {
        using var picture = ToImage(image);
        using var stream = new MemoryStream();
        picture.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    /// <summary>Writes <paramref name="image"/> as a PNG: to a temporary file beside it, then renamed, so no half-written file is left.</summary>
    public static void SavePng(Tensor image, string path) => AtomicFile.WriteAllBytes(path, ToPng(image));
}
