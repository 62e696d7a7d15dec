using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FastAttn.Engine.Attention;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Imports xDiT's DiTFastAttn plan JSON as its <c>save_config_file</c> writes it
/// (<c>{"block0": {"step0": "FULL_ATTN", "step1": "RESIDUAL_WINDOW_ATTN_CFG_SHARE", …}, …}</c>: each value is a
/// <c>FastAttnMethod</c>'s name, see <see cref="AttentionMethods.Parse"/>). xDiT stores no model, size, scheduler or
/// threshold: the caller gives the key. <see cref="ImportAny"/> also takes the official repository's cache.
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

    /// <summary>
    /// Reads either foreign plan format: the official DiTFastAttn repository's cache (a torch.save pickle, see
    /// <see cref="DiTFastAttnPlanImporter"/>) when the file starts like one, otherwise xDiT's JSON.
    /// </summary>
    public static CompressionPlan ImportAny(string path, PlanKey key) =>
        DiTFastAttnPlanImporter.LooksLikePickle(path) ? DiTFastAttnPlanImporter.Import(path, key) : Import(path, key);

    [GeneratedRegex(@"^block(\d+)$")]
    private static partial Regex BlockName();
}
