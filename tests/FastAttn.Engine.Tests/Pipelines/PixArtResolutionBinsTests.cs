using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Pipelines;

/// <summary>PixArt's aspect-ratio buckets (the reference's tables) and the resize-and-crop back to the requested size.</summary>
public class PixArtResolutionBinsTests
{
    [Fact]
    public void RequestsSnapToTheNearestTrainedBucket()
    {
        var bins1024 = PixArtResolutionBins.For(128)!;
        Assert.Equal(33, bins1024.Count);
        Assert.Equal((1024, 1024), PixArtResolutionBins.Classify(1024, 1024, bins1024));
        Assert.Equal((768, 1344), PixArtResolutionBins.Classify(1080, 1920, bins1024));        // 16:9 → ratio 0.5625 → "0.57"
        Assert.Equal((2048, 512), PixArtResolutionBins.Classify(4000, 100, bins1024));         // beyond the table: its end
        Assert.Equal((1280, 768), PixArtResolutionBins.Classify(1000, 600, bins1024));         // 1.667 → "1.67"
        Assert.Equal(("0.25", 256, 1024), PixArtResolutionBins.For(64)![0]);                    // 512 px: the 1024 table halved
        Assert.Equal(("4.0", 512, 128), PixArtResolutionBins.For(32)![^1]);
        Assert.Equal(40, PixArtResolutionBins.For(256)!.Count);                                 // 2K has its own, finer table
        Assert.Equal((2048, 2048), PixArtResolutionBins.Classify(2048, 2048, PixArtResolutionBins.For(256)!));
        Assert.Null(PixArtResolutionBins.For(8));
    }

    [Fact]
    public void ImagesAreResizedToCoverThenCentreCropped()
    {
        using var image = arange(32, ScalarType.Float32).view(1, 1, 4, 8);
        using var same = PixArtResolutionBins.ResizeAndCrop(image, 8, 4);
        Assert.True(same.equal(image).all().item<bool>());
        using var square = PixArtResolutionBins.ResizeAndCrop(image, 6, 6);                   // ×1.5 → 6×12, keep columns 3..8
        Assert.Equal(new long[] { 1, 1, 6, 6 }, square.shape);
        using var flat = ones(2, 3, 4, 8) * 0.25;
        using var cropped = PixArtResolutionBins.ResizeAndCrop(flat, 5, 7);
        Assert.Equal(new long[] { 2, 3, 7, 5 }, cropped.shape);
        TensorAssert.RelativeClose(full(2, 3, 7, 5, 0.25f), cropped, 1e-6, "a flat image stays flat");
        using var expected = nn.functional.interpolate(image, size: [6, 12], mode: InterpolationMode.Bilinear, align_corners: false);
        TensorAssert.RelativeClose(expected.narrow(3, 3, 6), square, 1e-6, "centre crop of the bilinear resize");
    }
}
