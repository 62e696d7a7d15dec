using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Imaging;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Reads and writes plans as versioned JSON (<c>"format": "fastattn-plan", "version": 3</c>): the key, then one array
/// of method names per step. Files of version 1 (or without a version) still load: their key's calibration text is
/// migrated to the typed fields (see <see cref="PlanKey"/>); files of version 2 have no device kind (reference order).
/// Version 3 adds the key's device kind, the model shape's heads and the search's predicted attention-time fraction;
/// version 4 a block-scope plan's block methods (<c>"blocks"</c>, one array of block method names per step; the cross-attention
/// methods are further names) and, for cross-attention models, the shape's caption tokens (<c>"captionTokens"</c>, optional);
/// version 5 the key's <c>"blockForecast"</c> and the block method <c>forecast</c>.
/// Writes are atomic; reads fail with <see cref="PlanFormatException"/> naming the problem.
/// </summary>
public static class PlanSerializer
{
    /// <summary>The format tag.</summary>
    public const string Format = "fastattn-plan";

    /// <summary>The current version.</summary>
    public const int Version = 5;

    /// <summary>The plan as JSON text.</summary>
    public static string ToJson(CompressionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var root = new JsonObject
        {
            ["format"] = Format,
            ["version"] = Version,
            ["key"] = PlanKeyJson.Write(plan.Key),
            ["layers"] = plan.Layers,
            ["methods"] = new JsonArray(plan.Methods
                .Select(step => (JsonNode)new JsonArray(step.Select(m => (JsonNode)m.ToShortName()).ToArray())).ToArray()),
        };
        if (plan.Blocks is BlockMethod[][] blocks)
            root["blocks"] = new JsonArray(blocks.Select(step => (JsonNode)new JsonArray(step.Select(m => (JsonNode)m.ToShortName()).ToArray()))
                .ToArray());
        if (plan.Shape is PlanModelShape shape)
        {
            root["shape"] = new JsonObject { ["tokens"] = shape.Tokens, ["hidden"] = shape.Hidden, ["heads"] = shape.Heads };
            if (shape.CaptionTokens is int caption) root["shape"]!["captionTokens"] = caption;   // cross-attention models only
            if (shape.Frames is int frames) root["shape"]!["frames"] = frames;                   // video models only
            if (shape.FrameTokens is int frameTokens) root["shape"]!["frameTokens"] = frameTokens;
        }
        if (plan.Search is PlanSearchReport s)
        {
            root["search"] = new JsonObject
            {
                ["forwardEquivalents"] = Math.Round(s.ForwardEquivalents, 3),
                ["seconds"] = Math.Round(s.Seconds, 3),
                ["prefixReuse"] = s.PrefixReuse,
                ["calibrationLabels"] = new JsonArray(s.CalibrationLabels.Select(l => (JsonNode)l).ToArray()),
                ["seed"] = s.Seed,
                ["predictedAttentionTimeFraction"] = s.PredictedAttentionTimeFraction is double f ? Math.Round(f, 4) : null,
            };
        }
        return root.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    /// <summary>Writes <paramref name="plan"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(CompressionPlan plan, string path) => AtomicFile.WriteAllText(path, ToJson(plan));

    /// <summary>Reads a plan file.</summary>
    public static CompressionPlan Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Plan file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses plan JSON; <paramref name="source"/> names it in errors.</summary>
    public static CompressionPlan Parse(string json, string source)
    {
        try
        {
            var root = JsonNode.Parse(json, null, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 32 }) as JsonObject
                ?? throw new PlanFormatException(source, "not a JSON object.");
            if (root["format"]?.GetValue<string>() != Format)
                throw new PlanFormatException(source, $"not a {Format} file (format field missing or different).");
            int version = root["version"]?.GetValue<int>() ?? 1;
            if (version is < 1 or > Version)
                throw new PlanFormatException(source, $"version {version} is not supported (this build reads versions 1 to {Version}).");
            var key = PlanKeyJson.Read(root["key"]?.AsObject() ?? throw new PlanFormatException(source, "the key is missing."), version, source);
            int layers = Int(root, "layers", source);
            var rows = root["methods"]?.AsArray() ?? throw new PlanFormatException(source, "the methods are missing.");
            var methods = rows.Select((row, s) =>
            {
                var names = row?.AsArray() ?? throw new PlanFormatException(source, $"step {s} has no method list.");
                if (names.Count != layers) throw new PlanFormatException(source, $"step {s} lists {names.Count} layers, expected {layers}.");
                return names.Select(n => AttentionMethods.Parse(n?.GetValue<string>() ?? "")).ToArray();
            }).ToArray();
            if (methods.Length != key.Steps) throw new PlanFormatException(source, $"{methods.Length} steps listed, the key says {key.Steps}.");
            PlanSearchReport? report = null;
            if (root["search"] is JsonObject s)
            {
                report = new PlanSearchReport(Dbl(s, "forwardEquivalents", source), Dbl(s, "seconds", source),
                    s["prefixReuse"]?.GetValue<bool>() ?? false,
                    s["calibrationLabels"]?.AsArray().Select(n => n?.GetValue<int>() ?? 0).ToArray() ?? [], s["seed"]?.GetValue<long>() ?? 0)
                {
                    PredictedAttentionTimeFraction = s["predictedAttentionTimeFraction"]?.GetValue<double>(),
                };
            }
            PlanModelShape? shape = root["shape"] is JsonObject sh
                ? new PlanModelShape(Int(sh, "tokens", source), Int(sh, "hidden", source))
                {
                    Heads = sh["heads"]?.GetValue<int>(), CaptionTokens = sh["captionTokens"]?.GetValue<int>(),
                    Frames = sh["frames"]?.GetValue<int>(), FrameTokens = sh["frameTokens"]?.GetValue<int>(),
                }
                : null;
            if (root["blocks"] is not JsonArray blockRows)
            {
                if (key.SearchScope == SearchScope.Block) throw new PlanFormatException(source, "a block-scope plan without its block methods.");
                return new CompressionPlan(key, methods, report, shape);
            }
            if (blockRows.Count != methods.Length)
                throw new PlanFormatException(source, $"{blockRows.Count} block steps, expected {methods.Length}.");
            var blocks = blockRows.Select((row, s) =>
            {
                var names = row?.AsArray() ?? throw new PlanFormatException(source, $"step {s} has no block method list.");
                if (names.Count != layers) throw new PlanFormatException(source, $"step {s} lists {names.Count} blocks, expected {layers}.");
                return names.Select(n => BlockMethods.Parse(n?.GetValue<string>() ?? "")).ToArray();
            }).ToArray();
            return new CompressionPlan(key, methods, blocks, report, shape);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new PlanFormatException(source, e.Message, e);
        }
    }

    private static int Int(JsonObject o, string name, string source) => PlanKeyJson.Int(o, name, source);

    private static double Dbl(JsonObject o, string name, string source) => PlanKeyJson.Dbl(o, name, source);

    /// <summary>Culture-invariant formatting helper for messages.</summary>
    internal static string Invariant(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
