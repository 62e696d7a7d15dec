using System.Text.Json.Nodes;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.OpenSora;

namespace FastAttn.Engine.Compression;

/// <summary>
/// A plan file's key as JSON. Version 5 adds whether a block-scope search could forecast skipped blocks ("blockForecast");
/// version 3 adds the device kind of measured-order plans ("deviceKind", null otherwise);
/// version 2 writes the latent height and the search settings as typed fields; version 1
/// (and files without a version) carried the metric and the video target inside the calibration text
/// (",metric:guided", ",target:temporal"), which is read back into the typed fields.
/// </summary>
internal static class PlanKeyJson
{
    private const string LegacyTemporal = ",target:temporal", LegacyGuided = ",metric:guided";

    /// <summary>The key as a JSON object of the current version.</summary>
    public static JsonObject Write(PlanKey k) => new()
    {
        ["modelFingerprint"] = k.ModelFingerprint,
        ["latentHeight"] = k.LatentHeight,
        ["latentWidth"] = k.LatentWidth,
        ["latentFrames"] = k.LatentFrames,
        ["steps"] = k.Steps,
        ["scheduler"] = k.Scheduler,
        ["guidanceScale"] = k.GuidanceScale,
        ["window"] = new JsonObject
        {
            ["semantics"] = k.Window.Semantics.ToString(),
            ["halfWidth"] = k.Window.HalfWidth,
            ["blockSize"] = k.Window.BlockSize,
            ["blockRadius"] = k.Window.BlockRadius,
        },
        ["threshold"] = k.Threshold,
        ["calibration"] = k.Calibration,
        ["metric"] = k.Metric.ToString(),
        ["target"] = k.Target.ToString(),
        ["candidateOrder"] = k.CandidateOrder.ToString(),
        ["searchScope"] = k.SearchScope.ToString(),
        ["deviceKind"] = k.DeviceKind,
        ["blockForecast"] = k.BlockForecast,
    };

    /// <summary>Reads a key written by <paramref name="version"/> 1 to 5 (0: a file without a version, read as 1).</summary>
    public static PlanKey Read(JsonObject k, int version, string source)
    {
        var w = k["window"]?.AsObject() ?? throw new PlanFormatException(source, "the window is missing.");
        var window = new WindowSpec(Parse<WindowSemantics>(w, "semantics", source), Int(w, "halfWidth", source), Int(w, "blockSize", source),
            Int(w, "blockRadius", source));
        var calibration = Str(k, "calibration", source);
        var (metric, target) = (SearchMetric.RawOutput, VideoAttention.Spatial);
        if (version < 2)
        {
            if (calibration.EndsWith(LegacyGuided, StringComparison.Ordinal))
                (metric, calibration) = (SearchMetric.GuidedOutput, calibration[..^LegacyGuided.Length]);
            if (calibration.EndsWith(LegacyTemporal, StringComparison.Ordinal))
                (target, calibration) = (VideoAttention.Temporal, calibration[..^LegacyTemporal.Length]);
        }
        return new PlanKey(Str(k, "modelFingerprint", source), Int(k, version < 2 ? "latentSize" : "latentHeight", source), Int(k, "steps", source),
            Str(k, "scheduler", source), Dbl(k, "guidanceScale", source), window, Dbl(k, "threshold", source), calibration,
            OptionalInt(k, "latentWidth", source), OptionalInt(k, "latentFrames", source))
        {
            Metric = version < 2 ? metric : Parse<SearchMetric>(k, "metric", source),
            Target = version < 2 ? target : Parse<VideoAttention>(k, "target", source),
            CandidateOrder = version < 2 ? CandidateOrder.Reference : Parse<CandidateOrder>(k, "candidateOrder", source),
            SearchScope = version < 2 ? SearchScope.Attention : Parse<SearchScope>(k, "searchScope", source),
            DeviceKind = version < 3 ? null : k["deviceKind"]?.GetValue<string>(),
            BlockForecast = version >= 5 && Bool(k, "blockForecast", source),
        } is var key && key.BlockForecast && key.SearchScope != SearchScope.Block
            ? throw new PlanFormatException(source, "blockForecast is set on a plan whose scope is not block.")
            : key;
    }

    /// <summary>A required boolean field.</summary>
    public static bool Bool(JsonObject o, string name, string source) =>
        o[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw new PlanFormatException(source, $"field '{name}' is missing or not true/false.");

    /// <summary>A required string field.</summary>
    public static string Str(JsonObject o, string name, string source) =>
        o[name]?.GetValue<string>() ?? throw new PlanFormatException(source, $"field '{name}' is missing.");

    /// <summary>A required integer field.</summary>
    public static int Int(JsonObject o, string name, string source) =>
        o[name]?.GetValue<int>() ?? throw new PlanFormatException(source, $"field '{name}' is missing.");

    /// <summary>A required number field.</summary>
    public static double Dbl(JsonObject o, string name, string source) =>
        o[name] is JsonValue v ? v.GetValue<double>() : throw new PlanFormatException(source, $"field '{name}' is missing.");

    private static int? OptionalInt(JsonObject o, string name, string source) => o[name] is null ? null : Int(o, name, source);

    private static T Parse<T>(JsonObject o, string name, string source) where T : struct, Enum =>
        Enum.TryParse<T>(Str(o, name, source), ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new PlanFormatException(source, $"unknown {name} '{o[name]}' (allowed: {string.Join(", ", Enum.GetNames<T>())}).");
}
