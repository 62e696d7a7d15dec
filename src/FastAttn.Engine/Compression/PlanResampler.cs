using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Stretches a searched plan onto another grid of steps × layers by nearest index (step s of S takes the source step at
/// the same relative position; likewise layers). Used to time realistic method mixes on models that have no plan of
/// their own (random weights at XL shapes): the result is a plan for speed, not for quality. Step 0 stays full. A block-scope
/// plan's block methods are resampled alike.
/// </summary>
public static class PlanResampler
{
    /// <summary>The plan <paramref name="source"/> resampled to <paramref name="key"/>.Steps steps × <paramref name="layers"/> layers.</summary>
    public static CompressionPlan Resample(CompressionPlan source, PlanKey key, int layers, PlanModelShape? shape = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(key);
        if (layers < 1) throw new ArgumentOutOfRangeException(nameof(layers), "A plan needs at least one layer.");
        if (key.Steps < 1) throw new ArgumentOutOfRangeException(nameof(key), "A plan needs at least one step.");
        if (source.Methods.Length == 0 || source.Layers == 0) throw new ArgumentException("The source plan is empty.", nameof(source));
        int sourceSteps = source.Methods.Length, sourceLayers = source.Layers;
        var methods = new AttentionMethod[key.Steps][];
        var blocks = source.Blocks is null ? null : new BlockMethod[key.Steps][];
        for (int s = 0; s < key.Steps; s++)
        {
            int from = Nearest(s, key.Steps, sourceSteps);
            methods[s] = new AttentionMethod[layers];
            if (blocks is not null) blocks[s] = new BlockMethod[layers];
            for (int l = 0; l < layers; l++)
            {
                int layer = Nearest(l, layers, sourceLayers);
                methods[s][l] = s == 0 ? AttentionMethod.Full : source.Methods[from][layer];
                if (blocks is not null) blocks[s][l] = s == 0 ? BlockMethod.Full : source.Blocks![from][layer];
            }
        }
        return blocks is null ? new CompressionPlan(key, methods, shape: shape)                    // a block plan keeps its scope
            : new CompressionPlan(key with
            {
                SearchScope = SearchScope.Block, Metric = source.Key.Metric, BlockForecast = source.Key.BlockForecast,
            }, methods, blocks, shape: shape);
    }

    /// <summary>The index of <paramref name="count"/> positions nearest to position <paramref name="index"/> of <paramref name="of"/>.</summary>
    internal static int Nearest(int index, int of, int count) =>
        of == 1 ? 0 : (int)Math.Round(index * (count - 1) / (double)(of - 1), MidpointRounding.AwayFromZero);
}
