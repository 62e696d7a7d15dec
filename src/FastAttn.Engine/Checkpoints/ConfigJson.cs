using System.Text.Json;
using System.Text.Json.Nodes;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Parsing shared by the model and scheduler config readers: a JSON object (duplicate keys and deep nesting refused
/// at parse time, not later on first access) and range checks on sizes, so a config never hands libtorch a zero,
/// negative or absurd dimension.
/// </summary>
internal static class ConfigJson
{
    /// <summary>The largest size any config field may hold (no supported model comes near it).</summary>
    public const int MaxSize = 1 << 20;

    private static readonly JsonDocumentOptions Options = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    /// <summary>The JSON object in <paramref name="json"/>; <see cref="CheckpointFormatException"/> when it is not one.</summary>
    public static JsonObject Parse(string json, string source)
    {
        try
        {
            return JsonNode.Parse(json, null, Options) as JsonObject ?? throw new CheckpointFormatException(source, "is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(source, $"is not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Refuses a config whose model needs more than twice the elements the checkpoint holds (plus 1M), before the model is
    /// built: <paramref name="parameters"/> is a lower bound of the model's size, so a crafted config cannot make libtorch
    /// allocate what the file cannot fill.
    /// </summary>
    public static void RequireFits(double parameters, IEnumerable<TorchSharp.torch.Tensor> stored, string source)
    {
        long count = stored.Sum(t => t.numel());
        if (parameters > 2.0 * count + 1e6)
            throw new CheckpointFormatException(source,
                $"the config describes at least {parameters:0.###e0} parameters but the checkpoint holds {count} elements.");
    }

    /// <summary>Refuses any field outside 1..<see cref="MaxSize"/>.</summary>
    public static void RequireSizes(string source, params (string Name, int Value)[] fields)
    {
        foreach (var (name, value) in fields)
            if (value is <= 0 or > MaxSize)
                throw new CheckpointFormatException(source, $"config field '{name}' = {value} is outside 1..{MaxSize}.");
    }
}
