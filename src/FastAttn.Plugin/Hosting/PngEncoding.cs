using FastAttn.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace FastAttn.Plugin.Hosting;

/// <summary>A batch of image tensors to PNG bytes, optionally resized.</summary>
internal static class PngEncoding
{
    /// <summary>(B, 3, H, W) images in [-1, 1] → one PNG each, resized to <paramref name="resize"/> when given.</summary>
    public static byte[][] Encode(Tensor images, (int Width, int Height)? resize)
    {
        var pngs = new byte[images.shape[0]][];
        for (int i = 0; i < pngs.Length; i++)
        {
            using var image = images[i];
            var png = ImageTensorConverter.ToPng(image);
            pngs[i] = resize is (int w, int h) ? Resize(png, w, h) : png;
        }
        return pngs;
    }

    private static byte[] Resize(byte[] png, int width, int height)
    {
        using var image = Image.Load(png);
        image.Mutate(x => x.Resize(width, height));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
