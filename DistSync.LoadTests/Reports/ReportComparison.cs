using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;

namespace DistSync.LoadTests.Reports;

/// <summary>
/// Two or more reports side by side, endpoint by endpoint (matched by name): requests/s, p50 and p99 of each, and each
/// later run as a ratio of the first, the baseline. For judging a change on alternating runs, or one node against three.
/// </summary>
public static class ReportComparison
{
    public sealed record Run(string Label, RunReport Report);

    /// <summary>One endpoint across the runs; null where a run did not have it.</summary>
    public sealed record Row(string Endpoint, IReadOnlyList<EndpointReport?> Runs);

    public static IReadOnlyList<Row> Rows(IReadOnlyList<Run> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var names = runs.SelectMany(r => r.Report.Endpoints.Select(e => e.Name)).Distinct(StringComparer.Ordinal);
        List<Row> rows = [.. names.Select(name => new Row(name, [.. runs.Select(r => r.Report.Endpoints.FirstOrDefault(e => e.Name == name))]))];
        if (runs.Any(r => r.Report.Total is not null))
        {
            rows.Add(new Row("Aggregated", [.. runs.Select(r => r.Report.Total)]));
        }

        return rows;
    }

    /// <summary><paramref name="value"/> / <paramref name="baseline"/> as "1.23x", or "-" when either is missing or the baseline is 0.</summary>
    public static string Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b > 0 ? string.Create(CultureInfo.InvariantCulture, $"{v / b:F2}x") : "-";

    /// <summary>A Markdown table: per endpoint, each run's req/s, p50 and p99, failures, and the ratios to the first run.</summary>
    public static string Markdown(IReadOnlyList<Run> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var rows = Rows(runs);
        var text = new StringBuilder();
        var header = new List<string> { "endpoint" };
        foreach (var (run, i) in runs.Select((r, i) => (r, i)))
        {
            header.AddRange([$"{run.Label} req/s", $"{run.Label} p50 ms", $"{run.Label} p99 ms", $"{run.Label} failed"]);
            if (i > 0)
            {
                header.AddRange([$"req/s {run.Label}/{runs[0].Label}", $"p50 {run.Label}/{runs[0].Label}", $"p99 {run.Label}/{runs[0].Label}"]);
            }
        }

        text.AppendLine($"| {string.Join(" | ", header)} |");
        text.AppendLine($"|---|{string.Join("|", header.Skip(1).Select(_ => "---:"))}|");
        foreach (var row in rows)
        {
            var cells = new List<string> { row.Endpoint };
            var baseline = row.Runs[0];
            for (var i = 0; i < runs.Count; i++)
            {
                var e = row.Runs[i];
                cells.AddRange(e is null ? ["-", "-", "-", "-"] : [F(e.RequestsPerSecond, "F1"), F(e.P50Ms), F(e.P99Ms), e.Failed.ToString(CultureInfo.InvariantCulture)]);
                if (i > 0)
                {
                    cells.AddRange([Ratio(e?.RequestsPerSecond, baseline?.RequestsPerSecond), Ratio(e?.P50Ms, baseline?.P50Ms), Ratio(e?.P99Ms, baseline?.P99Ms)]);
                }
            }

            text.AppendLine($"| {string.Join(" | ", cells)} |");
        }

        return text.ToString();
    }

    /// <summary>A page with the table, a p50 chart and a p99 chart (bars grouped by endpoint, one colour per run), and any notes.</summary>
    public static void WriteHtml(IReadOnlyList<Run> runs, IReadOnlyList<string> notes, string path)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(notes);
        var rows = Rows(runs);
        static string H(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>DistSync comparison</title>");
        html.AppendLine($"<style>{ReportWriter.Style}</style></head><body>");
        html.AppendLine($"<h1>DistSync: {H(string.Join(" vs ", runs.Select(r => r.Label)))}</h1>");
        foreach (var run in runs)
        {
            html.AppendLine($"<p><strong>{H(run.Label)}</strong>: <code>{H(run.Report.CommandLine)}</code>, {run.Report.StartedAt:u}, {F(run.Report.Duration.TotalSeconds, "F0")} s, load average {H(run.Report.Machine.LoadAverageBefore)} before.</p>");
        }

        foreach (var note in notes)
        {
            html.AppendLine($"<p>{H(note)}</p>");
        }

        html.AppendLine("<table id=\"comparison\"><tr><th>endpoint</th>");
        foreach (var (run, i) in runs.Select((r, i) => (r, i)))
        {
            html.Append($"<th>{H(run.Label)} req/s</th><th>{H(run.Label)} p50 ms</th><th>{H(run.Label)} p99 ms</th><th>{H(run.Label)} failed</th>");
            if (i > 0)
            {
                html.Append($"<th>req/s ÷ {H(runs[0].Label)}</th><th>p50 ÷ {H(runs[0].Label)}</th><th>p99 ÷ {H(runs[0].Label)}</th>");
            }
        }

        html.AppendLine("</tr>");
        foreach (var row in rows)
        {
            html.Append($"<tr><td>{H(row.Endpoint)}</td>");
            for (var i = 0; i < runs.Count; i++)
            {
                var e = row.Runs[i];
                html.Append(e is null ? "<td>-</td><td>-</td><td>-</td><td>-</td>" : $"<td>{F(e.RequestsPerSecond, "F1")}</td><td>{F(e.P50Ms)}</td><td>{F(e.P99Ms)}</td><td>{e.Failed}</td>");
                if (i > 0)
                {
                    html.Append($"<td>{Ratio(e?.RequestsPerSecond, row.Runs[0]?.RequestsPerSecond)}</td><td>{Ratio(e?.P50Ms, row.Runs[0]?.P50Ms)}</td><td>{Ratio(e?.P99Ms, row.Runs[0]?.P99Ms)}</td>");
                }
            }

            html.AppendLine("</tr>");
        }

        html.AppendLine("</table>");
        var p50 = Bars(runs, rows, "p50 latency of successes (ms)", e => e.P50Ms);
        var p99 = Bars(runs, rows, "p99 latency of successes (ms)", e => e.P99Ms);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "comparison-p50.png"), p50);
        File.WriteAllBytes(Path.Combine(directory, "comparison-p99.png"), p99);
        html.AppendLine($"<img alt=\"p50 by endpoint\" src=\"data:image/png;base64,{Convert.ToBase64String(p50)}\">");
        html.AppendLine($"<img alt=\"p99 by endpoint\" src=\"data:image/png;base64,{Convert.ToBase64String(p99)}\">");
        html.AppendLine("</body></html>");
        File.WriteAllText(path, html.ToString());
    }

    private static byte[] Bars(IReadOnlyList<Run> runs, IReadOnlyList<Row> rows, string title, Func<EndpointReport, double> value)
    {
        var plot = new Plot();
        plot.Title(title);
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / runs.Count;
        for (var r = 0; r < runs.Count; r++)
        {
            var bars = rows.Select((row, i) => (row, i)).Where(x => x.row.Runs[r] is not null)
                .Select(x => new Bar { Position = x.i + (r - (runs.Count - 1) / 2.0) * width, Value = value(x.row.Runs[r]!), Size = width, FillColor = palette.GetColor(r) })
                .ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = runs[r].Label;
        }

        plot.Axes.Bottom.SetTicks([.. rows.Select((_, i) => (double)i)], [.. rows.Select(r => r.Endpoint)]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 140;
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(1200, 520, ImageFormat.Png);
    }

    private static string F(double value, string format = "F2") => value.ToString(format, CultureInfo.InvariantCulture);
}
