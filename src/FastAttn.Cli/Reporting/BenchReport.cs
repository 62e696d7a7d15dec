using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FastAttn.Engine.Imaging;
using Spectre.Console;

namespace FastAttn.Cli.Reporting;

/// <summary>
/// A measurement's output: a console table, and JSON (a <c>rows</c> array with camelCase keys), markdown and a PNG
/// plot written atomically side by side; their paths are printed.
/// </summary>
internal sealed class BenchReport
{
    private readonly List<Dictionary<string, object?>> _rows = [];

    public BenchReport(string title, IReadOnlyList<string> columns)
    {
        Title = title;
        Columns = columns;
    }

    public string Title { get; }

    public IReadOnlyList<string> Columns { get; }

    public Dictionary<string, object?> Provenance { get; } = [];

    private static readonly JsonSerializerOptions CamelCase = new(JsonSerializerDefaults.Web);

    public IReadOnlyList<Dictionary<string, object?>> Rows => _rows;

    /// <summary>Totals written as the JSON's <c>summary</c> object and a list in the markdown (empty: none).</summary>
    public Dictionary<string, object?> Summary { get; } = [];

    /// <summary>Further top-level JSON sections (e.g. a time series), not printed.</summary>
    public Dictionary<string, object?> Sections { get; } = [];

    public void Add(Dictionary<string, object?> row) => _rows.Add(row);

    /// <summary>Prints the table and writes BASE.json, BASE.md and BASE.png (plot drawn by <paramref name="plot"/>).</summary>
    public void Write(string basePath, Action<ScottPlot.Plot> plot)
    {
        var table = new Table().Title(Markup.Escape(Title)).Border(TableBorder.Rounded);
        foreach (var c in Columns) table.AddColumn(c);
        foreach (var row in _rows) table.AddRow(Columns.Select(c => Markup.Escape(Format(row.GetValueOrDefault(c)))).ToArray());
        AnsiConsole.Write(table);
        foreach (var (k, v) in Summary) AnsiConsole.MarkupLine($"{Markup.Escape(k)}: [bold]{Markup.Escape(Format(v))}[/]");

        var json = new JsonObject
        {
            ["title"] = Title,
            ["provenance"] = JsonSerializer.SerializeToNode(Provenance),
            ["rows"] = JsonSerializer.SerializeToNode(_rows),
        };
        if (Summary.Count > 0) json["summary"] = JsonSerializer.SerializeToNode(Summary);
        foreach (var (key, value) in Sections) json[key] = JsonSerializer.SerializeToNode(value, CamelCase);
        AtomicFile.WriteAllText(basePath + ".json", json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var md = new StringBuilder($"## {Title}\n\n");
        foreach (var (k, v) in Provenance) md.Append(CultureInfo.InvariantCulture, $"- {k}: {Format(v)}\n");
        if (Summary.Count > 0)
        {
            md.Append("\n### Summary\n\n");
            foreach (var (k, v) in Summary) md.Append(CultureInfo.InvariantCulture, $"- {k}: {Format(v)}\n");
        }
        md.Append('\n').Append("| ").Append(string.Join(" | ", Columns)).Append(" |\n");
        md.Append('|').Append(string.Concat(Columns.Select(_ => " --- |"))).Append('\n');
        foreach (var row in _rows) md.Append("| ").Append(string.Join(" | ", Columns.Select(c => Format(row.GetValueOrDefault(c))))).Append(" |\n");
        AtomicFile.WriteAllText(basePath + ".md", md.ToString());

        var figure = new ScottPlot.Plot();
        plot(figure);
        figure.Title(Title);
        var png = figure.GetImageBytes(900, 500, ScottPlot.ImageFormat.Png);
        AtomicFile.WriteAllBytes(basePath + ".png", png);
        AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(basePath))}[/].json, .md and .png");
    }

    /// <summary>
    /// A bar series over <paramref name="rows"/>: row i's bar at i·<paramref name="stride"/> + <paramref name="offset"/>
    /// (side-by-side groups), labelled <paramref name="legend"/>.
    /// </summary>
    public static void AddBars<T>(ScottPlot.Plot plot, IEnumerable<T> rows, int stride, int offset, Func<T, double> value, ScottPlot.Color color,
        string legend)
    {
        var bars = plot.Add.Bars(rows.Select((r, i) => new ScottPlot.Bar { Position = i * stride + offset, Value = value(r), FillColor = color })
            .ToArray());
        bars.LegendText = legend;
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        float f => f.ToString("0.###", CultureInfo.InvariantCulture),
        IEnumerable<string> list => list.Any() ? string.Join(", ", list) : "none",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
