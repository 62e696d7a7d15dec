using FastAttn.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Imaging;

public sealed class ImageTensorConverterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-img-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void UsesTheReferenceRounding()
    {
        // (x+1)/2 · 255 + 0.5, truncated: −1 → 0, 1 → 255, 0 → 128, out of range clamped.
        using var image = tensor(new float[] { -1, 1, 0, 5, -3, 0.5f }).reshape(1, 2, 3);
        var bytes = ImageTensorConverter.ToBytes(image, out int w, out int h, out int c);
        Assert.Equal((3, 2, 1), (w, h, c));
        Assert.Equal(new byte[] { 0, 255, 128, 255, 0, 191 }, bytes);
    }

    [Fact]
    public void SavesRgbPngsAtomically()
    {
        using var image = zeros(3, 4, 5);
        image[0].fill_(1);                                                                  // red channel max
        var path = Path.Combine(_dir, "sub", "x.png");
        ImageTensorConverter.SavePng(image, path);
        using var loaded = Image.Load<Rgb24>(path);
        Assert.Equal((5, 4), (loaded.Width, loaded.Height));
        Assert.Equal(new Rgb24(255, 128, 128), loaded[0, 0]);
        Assert.Single(Directory.GetFiles(Path.Combine(_dir, "sub")));                     // no temporary file left
    }

    [Fact]
    public void GridTilesRowByRow()
    {
        using var images = stack([full([1, 2, 2], -1f), full([1, 2, 2], 0f), full([1, 2, 2], 1f)]);
        using var grid = ImageGrid.Tile(images, columns: 2, padding: 1, background: 0.5);
        Assert.Equal(new long[] { 1, 5, 5 }, grid.shape);
        Assert.Equal(-1f, grid[0, 0, 0].item<float>());
        Assert.Equal(0f, grid[0, 0, 3].item<float>());
        Assert.Equal(1f, grid[0, 3, 0].item<float>());
        Assert.Equal(0.5f, grid[0, 3, 3].item<float>());                                   // empty cell
    }
}
