using System.Globalization;
using ScottPlot;

namespace FastAttn.Cli.Reporting;

/// <summary>
/// The Pareto plot of <c>fastattn report pareto</c>: accuracy against measured latency fraction, attention-scope and
/// block-scope presets in two colours, each point labelled with its preset and FID, the frontier as a step line and the
/// target region shaded.
/// </summary>
internal static class ParetoPlot
{
    private static readonly Color AttentionColor = Colors.SteelBlue;
    private static readonly Color BlockColor = Colors.OrangeRed;

    /// <summary>Draws <paramref name="result"/> on <paramref name="plot"/>.</summary>
    public static void Draw(Plot plot, ParetoResult result)
    {
        var rows = result.Rows;
        var t = result.Target;
        double accuracyFloor = result.Raw.Accuracy - t.AccuracyPoints / 100;
        double left = Math.Min(rows.Min(r => r.LatencyFraction), t.LatencyFraction) - 0.04;
        double right = Math.Max(rows.Max(r => r.LatencyFraction), 1) + 0.06;
        double bottom = Math.Min(rows.Min(r => r.Accuracy), accuracyFloor) - 0.006;
        double top = Math.Max(rows.Max(r => r.Accuracy), result.Raw.Accuracy) + 0.007;

        var region = plot.Add.Rectangle(left, t.LatencyFraction, accuracyFloor, top);
        region.FillStyle.Color = Colors.LimeGreen.WithAlpha(0.15);
        region.LineStyle.Width = 0;
        region.LegendText = $"target: ≤ {N(t.LatencyFraction)} latency, ≥ raw − {N(t.AccuracyPoints)} pt, FID ≤ {N(1 + t.FidMargin)}× raw";
        var floor = plot.Add.HorizontalLine(accuracyFloor);
        floor.Color = Colors.Green.WithAlpha(0.6);
        floor.LinePattern = LinePattern.Dashed;
        var ceiling = plot.Add.VerticalLine(t.LatencyFraction);
        ceiling.Color = Colors.Green.WithAlpha(0.6);
        ceiling.LinePattern = LinePattern.Dashed;

        var frontier = rows.Where(r => r.OnFrontier).OrderBy(r => r.LatencyFraction).ThenBy(r => r.Accuracy).ToList();
        var step = plot.Add.Scatter(frontier.Select(r => r.LatencyFraction).Append(right).ToArray(),
            frontier.Select(r => r.Accuracy).Append(frontier[^1].Accuracy).ToArray());
        step.ConnectStyle = ConnectStyle.StepHorizontal;
        step.Color = Colors.Gray;
        step.LineWidth = 1.5f;
        step.MarkerSize = 0;
        step.LegendText = "Pareto frontier (best accuracy at ≤ latency)";

        Series(plot, rows.Where(r => r.Scope != "block").ToList(), AttentionColor, "attention scope (raw, D1–D6): label = preset, FID",
            below: true);
        Series(plot, rows.Where(r => r.Scope == "block").ToList(), BlockColor, "block scope (B1–B6): label = preset, FID", below: false);

        plot.Axes.SetLimits(left, right, bottom, top);
        plot.Axes.Bottom.Label.Text = "measured latency fraction of raw (bench e2e)";
        plot.Axes.Left.Label.Text = "classifier accuracy (eval)";
        plot.ShowLegend(Alignment.LowerRight);
    }

    /// <summary>One scope's points, each labelled "preset FID f" below-right (attention) or above-left (block).</summary>
    private static void Series(Plot plot, IReadOnlyList<ParetoRow> rows, Color color, string legend, bool below)
    {
        if (rows.Count == 0) return;
        var points = plot.Add.ScatterPoints(rows.Select(r => r.LatencyFraction).ToArray(), rows.Select(r => r.Accuracy).ToArray());
        points.Color = color;
        points.MarkerSize = 9;
        points.LegendText = legend;
        foreach (var r in rows)
        {
            var label = plot.Add.Text($"{r.Preset} {(r.Fid is double f ? f.ToString("0.0", CultureInfo.InvariantCulture) : "n/a")}",
                r.LatencyFraction, r.Accuracy);
            label.LabelFontColor = color;
            label.LabelFontSize = 12;
            label.LabelBold = r.MeetsTarget;
            label.LabelAlignment = below ? Alignment.UpperLeft : Alignment.LowerRight;
            label.LabelOffsetX = below ? 5 : -5;
            label.LabelOffsetY = below ? 4 : -4;
        }
    }

    private static string N(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
