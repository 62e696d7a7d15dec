using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Models.DiT;

/// <summary>
/// The fixed 2-D sin-cos position table of DiT/MAE: the first D/2 channels encode a token's column, the last D/2
/// its row, each as [sin(pos·ω), cos(pos·ω)] with ω_k = 1/10000^(k/(D/4)). Tokens are row-major.
/// Computed in float64 as the reference does (numpy), returned as float32.
/// </summary>
public static class PositionEmbedding2D
{
    /// <summary>
    /// Table for a <paramref name="rows"/>×<paramref name="cols"/> token grid, shape (rows·cols, D).
    /// With <paramref name="baseSize"/> set, coordinates are scaled as diffusers/PixArt do:
    /// pos = index / (n / baseSize) / interpolationScale.
    /// </summary>
    public static Tensor Create(int embedDim, int rows, int cols, double? baseSize = null, double interpolationScale = 1.0)
    {
        if (embedDim % 4 != 0) throw new ArgumentException($"Embedding width {embedDim} must be divisible by 4.", nameof(embedDim));
        using var scope = NewDisposeScope();
        var rowPos = Coordinates(rows, baseSize, interpolationScale);                 // (rows)
        var colPos = Coordinates(cols, baseSize, interpolationScale);                 // (cols)
        var colGrid = colPos.unsqueeze(0).expand(rows, cols).reshape(-1);            // (T) column of each token
        var rowGrid = rowPos.unsqueeze(1).expand(rows, cols).reshape(-1);            // (T) row of each token
        var table = cat([OneDimensional(embedDim / 2, colGrid), OneDimensional(embedDim / 2, rowGrid)], 1); // (T, D)
        return table.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private static Tensor Coordinates(int n, double? baseSize, double interpolationScale)
    {
        var pos = Arange(n, ScalarType.Float64);
        if (baseSize is double b) pos = pos.Over(n / b).Over(interpolationScale);
        return pos;
    }

    private static Tensor OneDimensional(int dim, Tensor positions)
    {
        var omega = Arange(dim / 2, ScalarType.Float64).Over(dim / 2.0);
        omega = Over(1.0, pow(10000.0, omega));                                             // (dim/2)
        var outer = positions.unsqueeze(1) * omega.unsqueeze(0);                       // (T, dim/2)
        return cat([sin(outer), cos(outer)], 1);                                       // (T, dim)
    }
}
