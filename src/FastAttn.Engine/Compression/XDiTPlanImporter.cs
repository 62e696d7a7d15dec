using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Imports xDiT's DiTFastAttn plan JSON (<c>{"block0": {"step0": "FULL_ATTN", …}, …}</c>, flags such as
/// RESIDUAL_WINDOW_ATTN|CFG_SHARE). xDiT stores no model, size, scheduler or threshold: the caller gives the key.
/// </summary>
public static partial class XDiTPlanImporter
{
    /// <summary>Reads <paramref name="path"/> into a plan with <paramref name="key"/>.</summary>
    public static CompressionPlan Import(string path, PlanKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("empty document"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new PlanFormatException(path, $"not xDiT plan JSON ({e.Message}).", e);
        }
        var blocks = root.Where(kv => BlockName().IsMatch(kv.Key))
            .Select(kv => (
                Index: int.Parse(BlockName().Match(kv.Key).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                Steps: kv.Value as JsonObject))
            .OrderBy(b => b.Index).ToList();
        if (blocks.Count == 0) throw new PlanFormatException(path, "no \"blockN\" entries.");
        if (blocks.Select(b => b.Index).SequenceEqual(Enumerable.Range(0, blocks.Count)) is false)
            throw new PlanFormatException(path, "block indices are not 0..N−1.");
        var methods = Enumerable.Range(0, key.Steps).Select(_ => new AttentionMethod[blocks.Count]).ToArray();
        foreach (var (index, steps) in blocks)
        {
            if (steps is null) throw new PlanFormatException(path, $"block{index} is not an object.");
            for (int s = 0; s < key.Steps; s++)
            {
                var value = steps[$"step{s}"]?.GetValue<string>()
                    ?? throw new PlanFormatException(path, $"block{index} has no step{s} (the key says {key.Steps} steps).");
                try { methods[s][index] = AttentionMethods.Parse(value); }
                catch (FormatException e) { throw new PlanFormatException(path, $"block{index} step{s}: {e.Message}", e); }
            }
        }
        return new CompressionPlan(key, methods);
    }

    [GeneratedRegex(@"^block(\d+)$")]
    private static partial Regex BlockName();
}
