using FastAttn.Engine.Attention;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace FastAttn.Engine.Compression;

/// <summary>
/// A plan as a picture like the paper's Fig. 5: one row per layer (layer 0 on top), one column per step, a colour per
/// method. A block-scope plan gets a second panel below, one colour per block method (reuse, MLP sharing), and a second
/// legend strip (<see cref="BlockColors"/>) under the first.
/// </summary>
public static class PlanHeatmap
{
    /// <summary>The colour of each method (listed by the CLI as the legend).</summary>
    public static IReadOnlyDictionary<AttentionMethod, Rgb24> Colors { get; } = new Dictionary<AttentionMethod, Rgb24>
    {
        [AttentionMethod.Full] = new(235, 235, 235),
        [AttentionMethod.OutputShare] = new(214, 39, 40),
        [AttentionMethod.WindowResidualCfgShare] = new(148, 103, 189),
        [AttentionMethod.WindowResidual] = new(31, 119, 180),
        [AttentionMethod.FullCfgShare] = new(255, 127, 14),
        [AttentionMethod.Window] = new(44, 160, 44),
    };

    /// <summary>The colour of each block method (block-scope plans' second panel).</summary>
    public static IReadOnlyDictionary<BlockMethod, Rgb24> BlockColors { get; } = new Dictionary<BlockMethod, Rgb24>
    {
        [BlockMethod.Full] = new(235, 235, 235),
        [BlockMethod.MlpShare] = new(23, 190, 207),
        [BlockMethod.MlpCfgShare] = new(188, 189, 34),
        [BlockMethod.Reuse] = new(40, 40, 40),
        [BlockMethod.CrossShare] = new(227, 119, 194),
        [BlockMethod.CrossMlpShare] = new(140, 86, 75),
        [BlockMethod.CrossMlpCfgShare] = new(148, 103, 189),
        [BlockMethod.Forecast] = new(0, 0, 128),
    };

    /// <summary>PNG bytes of the heatmap with <paramref name="cell"/>-pixel cells and a one-cell legend strip on top.</summary>
    public static byte[] ToPng(CompressionPlan plan, int cell = 10)
    {
        ArgumentNullException.ThrowIfNull(plan);
        int steps = plan.Methods.Length, layers = plan.Layers;
        var blocks = plan.Blocks;
        int legend = cell * (blocks is null ? 2 : 4);
        int height = layers * cell * (blocks is null ? 1 : 2) + (blocks is null ? 0 : cell) + legend;
        using var image = new Image<Rgb24>(Math.Max(steps * cell, Colors.Count * cell * 2), height, new Rgb24(255, 255, 255));
        int k = 0;
        foreach (var (_, color) in Colors) Fill(image, k++ * cell * 2, 0, cell, cell, color);
        k = 0;
        if (blocks is not null) foreach (var (_, color) in BlockColors) Fill(image, k++ * cell * 2, cell * 2, cell, cell, color);
        int second = legend + layers * cell + cell;
        for (int s = 0; s < steps; s++)
            for (int l = 0; l < layers; l++)
            {
                Fill(image, s * cell, legend + l * cell, cell - 1, cell - 1, Colors[plan.Methods[s][l]]);
                if (blocks is not null) Fill(image, s * cell, second + l * cell, cell - 1, cell - 1, BlockColors[blocks[s][l]]);
            }
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    private static void Fill(Image<Rgb24> image, int x, int y, int w, int h, Rgb24 color)
    {
        for (int j = y; j < Math.Min(image.Height, y + h); j++)
            for (int i = x; i < Math.Min(image.Width, x + w); i++)
                image[i, j] = color;
    }
}
