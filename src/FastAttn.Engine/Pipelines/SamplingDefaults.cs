using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Checkpoints;

namespace FastAttn.Engine.Pipelines;

/// <summary>A model's default sampling settings (from <c>defaults.json</c> beside its weights; else DDIM 50, guidance 4).</summary>
/// <param name="Steps">Denoising steps.</param>
/// <param name="Scheduler">Sampler name.</param>
/// <param name="GuidanceScale">Guidance scale.</param>
public sealed record SamplingDefaults(int Steps = 50, string Scheduler = "ddim", double GuidanceScale = 4.0)
{
    /// <summary>The file name.</summary>
    public const string FileName = "defaults.json";

    /// <summary>Reads <paramref name="folder"/>/defaults.json, or the general defaults when there is none.</summary>
    public static SamplingDefaults ReadFrom(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return new SamplingDefaults();
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            return new SamplingDefaults(o["steps"]?.GetValue<int>() ?? 50, o["scheduler"]?.GetValue<string>() ?? "ddim", o["guidanceScale"]?.GetValue<double>() ?? 4.0);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new CheckpointFormatException(path, $"invalid sampling defaults ({e.Message}).", e);
        }
    }

    /// <summary>The JSON form.</summary>
    public string ToJson() => new JsonObject { ["steps"] = Steps, ["scheduler"] = Scheduler, ["guidanceScale"] = GuidanceScale }
        .ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
