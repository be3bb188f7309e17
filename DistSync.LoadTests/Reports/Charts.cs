using System.Globalization;
using ScottPlot;

namespace DistSync.LoadTests.Reports;

/// <summary>The report's pictures, drawn with ScottPlot as PNG: throughput and latency over time, a latency histogram per endpoint.</summary>
public static class Charts
{
    private const int Width = 1100;
    private const int Height = 420;

    /// <summary>Requests per second of each endpoint over the run, failures of all endpoints in red, marked windows shaded.</summary>
    public static byte[] Throughput(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = NewPlot("Throughput", "requests / s");
        Shade(plot, report.Windows);
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var endpoint in report.Endpoints.Where(e => e.Series.Any(Plotted)))
        {
            var points = endpoint.Series.Where(Plotted).ToList();
            double[] rates = [.. points.Select(p => p.RatePerSecond)];
            var line = plot.Add.ScatterLine(Xs(points), rates);
            line.LegendText = endpoint.Name;
            line.Color = palette.GetColor(index++);
            line.LineWidth = 2;
        }

        if (report.Total is { Series.Count: > 0 } total)
        {
            var points = total.Series.Where(Plotted).ToList();
            double[] all = [.. points.Select(p => p.RatePerSecond)];
            var line = plot.Add.ScatterLine(Xs(points), all);
            line.LegendText = "all requests";
            line.Color = Colors.Black;
            line.LineWidth = 3;
        }

        var failures = report.Endpoints.SelectMany(e => e.Series).Where(p => p.Failed > 0).GroupBy(p => p.Second).OrderBy(g => g.Key).ToList();
        if (failures.Count > 0)
        {
            double[] seconds = [.. failures.Select(g => g.Key + 0.5)];
            double[] counts = [.. failures.Select(g => (double)g.Sum(p => p.Failed))];
            var failed = plot.Add.ScatterPoints(seconds, counts);
            failed.LegendText = "failures (all endpoints)";
            failed.Color = Colors.Red;
            failed.MarkerSize = 7;
        }

        return Finish(plot);
    }

    /// <summary>p50 (solid) and p99 (dashed) of each endpoint's successes, per second.</summary>
    public static byte[] Latency(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = NewPlot("Latency of successful requests: p50 solid, p99 dashed", "ms (log scale)");
        Shade(plot, report.Windows);
        LogScale(plot);
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var endpoint in report.Endpoints.Where(e => e.Series.Any(p => p.P50Ms is not null)))
        {
            var color = palette.GetColor(index++);
            var points = endpoint.Series.Where(p => p.P50Ms is not null).ToList();
            var xs = Xs(points);
            double[] p50s = [.. points.Select(p => Math.Log10(Math.Max(p.P50Ms!.Value, 0.001)))];
            double[] p99s = [.. points.Select(p => Math.Log10(Math.Max(p.P99Ms!.Value, 0.001)))];
            var p50 = plot.Add.ScatterLine(xs, p50s);
            p50.LegendText = endpoint.Name;
            p50.Color = color;
            p50.LineWidth = 2;
            var p99 = plot.Add.ScatterLine(xs, p99s);
            p99.Color = color;
            p99.LinePattern = LinePattern.Dashed;
        }

        return Finish(plot);
    }

    /// <summary>How many successes took how long, in 1-2-5 bins.</summary>
    public static byte[] Histogram(EndpointReport endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var plot = new Plot();
        plot.Title($"{endpoint.Name}: latency of {endpoint.Ok:N0} successes");
        plot.YLabel("requests");
        plot.XLabel("ms (at most)");
        var bins = endpoint.Histogram;
        double[] counts = [.. bins.Select(b => (double)b.Count)];
        var bars = plot.Add.Bars(counts);
        bars.Color = new Color(31, 119, 180);
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, bins.Count).Select(i => (double)i)], [.. bins.Select(b => Label(b.ToMs))]);
        plot.Axes.Margins(bottom: 0);
        return plot.GetImageBytes(Width / 2, Height * 3 / 4, ImageFormat.Png);
    }

    private static Plot NewPlot(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("seconds since the start of the run");
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>The left axis shows 10^y: latencies of 0.5 ms and 500 ms on one chart. Values are plotted as log10(ms).</summary>
    private static void LogScale(Plot plot)
    {
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Label(Math.Pow(10, y)),
        };
    }

    /// <summary>Shades far apart in hue, so five kinds of fault stay apart when light.</summary>
    private static readonly Color[] Shades =
    [
        new(255, 127, 14), new(214, 39, 40), new(44, 160, 44), new(148, 103, 189), new(31, 119, 180), new(140, 86, 75), new(188, 189, 34),
    ];

    private static void Shade(Plot plot, IReadOnlyList<FaultWindow> windows)
    {
        var index = 0;
        foreach (var group in windows.GroupBy(w => w.Label))
        {
            var color = Shades[index++ % Shades.Length].WithAlpha(0.2);
            var first = true;
            foreach (var window in group)
            {
                var span = plot.Add.HorizontalSpan(window.FromSecond, window.ToSecond);
                span.FillStyle.Color = color;
                span.LineStyle.Width = 0;
                span.LegendText = first ? group.Key : "";
                first = false;
            }
        }
    }

    private static byte[] Finish(Plot plot)
    {
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Edge.Right);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>A second's point stands at its middle: the span its counts come from.</summary>
    private static double[] Xs(IEnumerable<SeriesPoint> points) => [.. points.Select(p => p.Second + 0.5)];

    /// <summary>A sliver of a second at a level's edge gives a rate that is mostly noise: left off the throughput chart.</summary>
    private static bool Plotted(SeriesPoint point) => point.Covered >= 0.25;

    private static string Label(double ms) => ms >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.##} s")
        : ms.ToString("0.##", CultureInfo.InvariantCulture);
}
