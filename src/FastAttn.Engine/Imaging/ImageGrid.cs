using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Imaging;

/// <summary>Tiles same-sized images into one grid image.</summary>
public static class ImageGrid
{
    /// <summary>
    /// (N, C, H, W) images → (C, rows·(H+pad)−pad, cols·(W+pad)−pad), filled row by row; empty cells and padding are
    /// <paramref name="background"/> (in [−1, 1]).
    /// </summary>
    public static Tensor Tile(Tensor images, int columns, int padding = 2, double background = 1.0)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4) throw new ArgumentException("Expected (N, C, H, W) images.", nameof(images));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), "At least one column is required.");
        using var scope = NewDisposeScope();
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        long rows = (n + columns - 1) / columns;
        var grid = Full([c, rows * (h + padding) - padding, columns * (w + padding) - padding], background, images.dtype, images.device);
        for (long i = 0; i < n; i++)
        {
            long r = i / columns, col = i % columns;
            grid.narrow(1, r * (h + padding), h).narrow(2, col * (w + padding), w).copy_(images[i]);
        }
        return grid.MoveToOuterDisposeScope();
    }
}
