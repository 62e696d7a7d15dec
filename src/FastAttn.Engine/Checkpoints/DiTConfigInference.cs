using System.Text.RegularExpressions;
using FastAttn.Engine.Models.DiT;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Infers a DiT's architecture from the tensor shapes of a reference-layout state dict. The head count is not
/// visible in shapes: it comes from the caller, else from the reference config of the same width.
/// </summary>
public static partial class DiTConfigInference
{
    /// <summary>Infers the config; throws <see cref="CheckpointFormatException"/> naming what is missing or inconsistent.</summary>
    public static DiTConfig Infer(IReadOnlyDictionary<string, long[]> shapes, string source, int? numHeads = null)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        long[] Get(string key) => shapes.TryGetValue(key, out var s) ? s
            : throw new CheckpointFormatException(source, $"cannot infer the DiT config: tensor '{key}' is missing (is this a DiT checkpoint?).");

        var patchW = Get("x_embedder.proj.weight");                                        // (D, C, p, p)
        int hidden = (int)patchW[0], inCh = (int)patchW[1], patch = (int)patchW[2];
        int depth = shapes.Keys.Select(k => BlockIndex().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        if (depth == 0) throw new CheckpointFormatException(source, "cannot infer the DiT config: no 'blocks.N.*' tensors.");
        int outCh = (int)(Get("final_layer.linear.weight")[0] / (patch * patch));
        if (outCh != inCh && outCh != 2 * inCh)
            throw new CheckpointFormatException(source, $"final layer outputs {outCh} channels per pixel; expected {inCh} or {2 * inCh}.");
        bool perBlock = shapes.ContainsKey("block_embedders.0.y_embedder.embedding_table.weight");
        int tableRows = (int)Get(perBlock ? "block_embedders.0.y_embedder.embedding_table.weight" : "y_embedder.embedding_table.weight")[0];
        int inputSize;
        if (shapes.TryGetValue("pos_embed", out var pos))
        {
            int side = (int)Math.Round(Math.Sqrt(pos[1]));
            if (side * side != pos[1]) throw new CheckpointFormatException(source, $"pos_embed has {pos[1]} tokens, not a square grid.");
            inputSize = side * patch;
        }
        else throw new CheckpointFormatException(source, "cannot infer the input size: no pos_embed (give the size explicitly).");
        int heads = numHeads ?? DiTConfigs.HeadsForHiddenSize(hidden)
            ?? throw new CheckpointFormatException(source,
                $"cannot infer the number of attention heads for hidden size {hidden}; " +
                "give it explicitly (e.g. --heads), or a config.json beside the checkpoint.");
        return new DiTConfig(inputSize, patch, inCh, hidden, depth, heads, tableRows - 1, outCh == 2 * inCh) { PerBlockConditioning = perBlock };
    }

    [GeneratedRegex(@"^blocks\.(\d+)\.")]
    private static partial Regex BlockIndex();
}
