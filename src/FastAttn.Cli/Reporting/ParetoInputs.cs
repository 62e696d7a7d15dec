using System.Text.Json;
using System.Text.Json.Nodes;

namespace FastAttn.Cli.Reporting;

/// <summary>An input of <c>fastattn report pareto</c> lacks something the join needs: names the file and what is missing.</summary>
internal sealed class ParetoInputException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/> lacking <paramref name="missing"/>.</summary>
    public ParetoInputException(string file, string missing)
        : base($"{file}: no {missing}.")
    {
        File = file;
        Missing = missing;
    }

    /// <summary>The file (or files) lacking it.</summary>
    public string File { get; }

    /// <summary>What is missing, in words.</summary>
    public string Missing { get; }
}

/// <summary>Reads the JSON reports <c>fastattn eval</c> and <c>fastattn bench e2e</c> write (their <c>rows</c> arrays).</summary>
internal static class ParetoInputs
{
    /// <summary>An eval report's rows: preset, accuracy (required), fid and transformerFlopsFraction (optional).</summary>
    public static Sourced<QualityRow> ReadQuality(string path) =>
        new(path, [.. Rows(path, "a `fastattn eval`").Select(r => new QualityRow(Preset(path, r), Required(path, r, "accuracy", "`fastattn eval`"),
            Optional(r, "fid"), Optional(r, "transformerFlopsFraction")))]);

    /// <summary>A bench e2e report's rows: preset, latencyFraction (required), predictedFraction, medianSeconds, spreadSeconds and
    /// transformerFlopsFraction (optional).</summary>
    public static Sourced<LatencyRow> ReadLatency(string path) =>
        new(path, [.. Rows(path, "a `fastattn bench e2e`").Select(r => new LatencyRow(Preset(path, r),
            Required(path, r, "latencyFraction", "`fastattn bench e2e`"), Optional(r, "predictedFraction"), Optional(r, "medianSeconds"),
            Optional(r, "spreadSeconds"), Optional(r, "transformerFlopsFraction")))]);

    /// <summary>The provenance entry <paramref name="key"/> of a report, if it has one.</summary>
    public static string? Provenance(string path, string key) =>
        Parse(path, "a report")["provenance"]?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static IEnumerable<JsonObject> Rows(string path, string kind) =>
        Parse(path, kind)["rows"] is JsonArray rows && rows.All(r => r is JsonObject)
            ? rows.Cast<JsonObject>()
            : throw new ParetoInputException(path, $"'rows' array of objects (is it {kind} JSON report?)");

    private static JsonObject Parse(string path, string kind)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: no such file ({kind} JSON report expected).", path);
        try
        {
            return JsonNode.Parse(System.IO.File.ReadAllText(path)) as JsonObject
                ?? throw new ParetoInputException(path, $"JSON object (is it {kind} JSON report?)");
        }
        catch (JsonException e)
        {
            throw new ParetoInputException(path, $"valid JSON ({e.Message})");
        }
    }

    private static string Preset(string path, JsonObject row) =>
        row["preset"] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s
            : throw new ParetoInputException(path, $"'preset' name in row {row.ToJsonString()}");

    private static double Required(string path, JsonObject row, string key, string kind) => Optional(row, key)
        ?? throw new ParetoInputException(path, $"number '{key}' in the row of preset '{Preset(path, row)}' (is it a {kind} JSON report?)");

    private static double? Optional(JsonObject row, string key) =>
        row[key] is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;
}
