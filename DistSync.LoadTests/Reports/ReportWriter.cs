using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace DistSync.LoadTests.Reports;

/// <summary>
/// Writes a report folder: <c>report.json</c> (every figure), <c>endpoints.csv</c> (one row per endpoint, as Locust's
/// stats file), <c>series-NAME.csv</c> per endpoint (one row per second), the charts as PNG and <c>index.html</c>, a
/// single page with the charts embedded that opens from disk with nothing else.
/// </summary>
public static class ReportWriter
{
    public const string PageName = "index.html";

    /// <summary>The pages' one stylesheet (this page's and the comparison's), inline so a page is one file.</summary>
    internal const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 1300px; }
        table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
        th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        th { background: #f3f3f3; }
        td.bad { color: #b00020; font-weight: bold; }
        code { background: #f3f3f3; padding: 0.1rem 0.3rem; }
        img { max-width: 100%; display: block; margin: 0.5rem 0 1.5rem; }
        .histograms { display: flex; flex-wrap: wrap; gap: 0.5rem; }
        .histograms img { width: 540px; margin: 0; }
        """;

    public static void Write(RunReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ReportJson.FileName), JsonSerializer.Serialize(report, ReportJson.Options));
        File.WriteAllText(Path.Combine(directory, "endpoints.csv"), EndpointsCsv(report.Total is { } total ? [.. report.Endpoints, total] : report.Endpoints));
        var files = SeriesFileNames(report.Endpoints);
        foreach (var endpoint in report.Endpoints)
        {
            File.WriteAllText(Path.Combine(directory, files[endpoint.Name]), SeriesCsv(endpoint));
        }

        var charts = Path.Combine(directory, "charts");
        Directory.CreateDirectory(charts);
        var throughput = Charts.Throughput(report);
        var latency = Charts.Latency(report);
        File.WriteAllBytes(Path.Combine(charts, "throughput.png"), throughput);
        File.WriteAllBytes(Path.Combine(charts, "latency.png"), latency);
        var histograms = new List<(EndpointReport Endpoint, byte[] Png)>();
        foreach (var endpoint in report.Endpoints.Where(e => e.Ok > 0))
        {
            var png = Charts.Histogram(endpoint);
            File.WriteAllBytes(Path.Combine(charts, "histogram-" + Path.ChangeExtension(files[endpoint.Name], ".png")["series-".Length..]), png);
            histograms.Add((endpoint, png));
        }

        File.WriteAllText(Path.Combine(directory, PageName), Page(report, throughput, latency, histograms, files));
    }

    public static string EndpointsCsv(IReadOnlyList<EndpointReport> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var csv = new StringBuilder("name,requests,ok,refused,failed,requests_per_s,ok_per_s,mean_ms,min_ms,p50_ms,p90_ms,p95_ms,p99_ms,max_ms\n");
        foreach (var e in endpoints)
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{Csv(e.Name)},{e.Requests},{e.Ok},{e.Refused},{e.Failed},{e.RequestsPerSecond:F2},{e.OkPerSecond:F2},{e.MeanMs:F3},{e.MinMs:F3},{e.P50Ms:F3},{e.P90Ms:F3},{e.P95Ms:F3},{e.P99Ms:F3},{e.MaxMs:F3}"));
        }

        return csv.ToString();
    }

    public static string SeriesCsv(EndpointReport endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var csv = new StringBuilder("second,ok,refused,failed,p50_ms,p99_ms,covered_s\n");
        foreach (var p in endpoint.Series)
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{p.Second},{p.Ok},{p.Refused},{p.Failed},{p.P50Ms:F3},{p.P99Ms:F3},{p.Covered:F3}"));
        }

        return csv.ToString();
    }

    /// <summary>A file name per endpoint from its name ("POST /locks/acquire" → series-post-locks-acquire.csv), unique within the run.</summary>
    public static IReadOnlyDictionary<string, string> SeriesFileNames(IReadOnlyList<EndpointReport> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            var slug = new string([.. endpoint.Name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
            slug = string.Join('-', slug.Split('-', StringSplitOptions.RemoveEmptyEntries));
            slug = slug.Length == 0 ? "endpoint" : slug[..Math.Min(slug.Length, 60)];
            var name = $"series-{slug}.csv";
            for (var n = 2; !taken.Add(name); n++)
            {
                name = $"series-{slug}-{n}.csv";
            }

            names[endpoint.Name] = name;
        }

        return names;
    }

    private static string Page(RunReport report, byte[] throughput, byte[] latency, List<(EndpointReport Endpoint, byte[] Png)> histograms, IReadOnlyDictionary<string, string> files)
    {
        static string H(string text) => WebUtility.HtmlEncode(text);
        static string Img(byte[] png, string alt) => $"<img alt=\"{H(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";
        static string F(double value, string format = "F2") => value.ToString(format, CultureInfo.InvariantCulture);
        static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
        static string Cells(EndpointReport e) =>
            $"<td>{N(e.Requests)}</td><td class=\"{(e.Failed > 0 ? "bad" : "")}\">{N(e.Failed)}</td><td>{N(e.Refused)}</td><td>{F(e.P50Ms)}</td><td>{F(e.P95Ms)}</td><td>{F(e.P99Ms)}</td><td>{F(e.MeanMs)}</td><td>{F(e.MinMs)}</td><td>{F(e.MaxMs)}</td><td>{F(e.RequestsPerSecond, "F1")}</td>";
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>DistSync {H(report.Command)} report, {report.StartedAt:u}</title>");
        html.AppendLine($"<style>{Style}</style></head><body>");
        html.AppendLine($"<h1>DistSync <code>{H(report.Command)}</code> report</h1>");
        html.AppendLine($"<p>Command: <code>{H(report.CommandLine)}</code></p>");
        html.AppendLine($"<p>From {report.StartedAt:u} to {report.EndedAt:u} ({F(report.Duration.TotalSeconds, "F0")} s). Machine: {H(report.Machine.Description)}; load average {H(report.Machine.LoadAverageBefore)} before, {H(report.Machine.LoadAverageAfter)} after (1/5/15 min).</p>");
        if (report.Machine.Warning is { } warning)
        {
            html.AppendLine($"<p><strong>Warning:</strong> {H(warning)}</p>");
        }

        foreach (var note in report.Notes)
        {
            html.AppendLine($"<p>{H(note)}</p>");
        }

        html.AppendLine("<h2>Requests</h2>");
        html.AppendLine("<table id=\"endpoints\"><tr><th>endpoint</th><th>requests</th><th>failures</th><th>refused (409)</th><th>median ms</th><th>p95 ms</th><th>p99 ms</th><th>average ms</th><th>min ms</th><th>max ms</th><th>req/s</th><th>series</th></tr>");
        foreach (var e in report.Endpoints)
        {
            html.AppendLine($"<tr><td>{H(e.Name)}</td>{Cells(e)}<td><a href=\"{H(files[e.Name])}\">csv</a></td></tr>");
        }

        if (report.Total is { } all)
        {
            html.AppendLine($"<tr class=\"total\"><td><strong>{H(all.Name)}</strong></td>{Cells(all)}<td></td></tr>");
        }

        html.AppendLine("</table>");
        foreach (var section in report.Sections)
        {
            Section(html, section);
        }

        Messages(html, "Failures", "failures", report.Endpoints, e => e.Failures);
        Messages(html, "Expected refusals (409)", "refusals", report.Endpoints, e => e.Refusals);
        html.AppendLine("<h2>Over time</h2>");
        html.AppendLine(Img(throughput, "throughput over time"));
        html.AppendLine(Img(latency, "latency over time"));
        html.AppendLine("<h2>Latency histograms</h2><div class=\"histograms\">");
        foreach (var (endpoint, png) in histograms)
        {
            html.AppendLine(Img(png, $"latency histogram of {endpoint.Name}"));
        }

        html.AppendLine("</div>");
        if (report.Levels.Count > 0)
        {
            // The driver column only for a benchmark that offers two (--driver client|http).
            var drivers = report.Levels.Any(r => r.Driver is not null);
            html.AppendLine($"<h2>Levels</h2><table id=\"levels\"><tr><th>benchmark</th><th>level</th>{(drivers ? "<th>driver</th>" : "")}<th>ops/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th><th>ok</th><th>refused</th><th>failed</th></tr>");
            foreach (var r in report.Levels)
            {
                html.AppendLine($"<tr><td>{H(r.Benchmark)}</td><td>{H(r.Level)}</td>{(drivers ? $"<td>{H(r.Driver ?? "")}</td>" : "")}<td>{F(r.OpsPerSecond, "F0")}</td><td>{F(r.P50Ms)}</td><td>{F(r.P90Ms)}</td><td>{F(r.P99Ms)}</td><td>{F(r.MaxMs)}</td><td>{N(r.Ok)}</td><td>{N(r.Refused)}</td><td>{N(r.Failed)}</td></tr>");
            }

            html.AppendLine("</table>");
        }

        if (report.Transcript is { Length: > 0 } transcript)
        {
            html.AppendLine($"<h2>What the command printed</h2><pre id=\"transcript\">{H(transcript)}</pre>");
        }

        html.AppendLine("<h2>Settings</h2><table id=\"settings\">");
        foreach (var (name, value) in report.Settings)
        {
            html.AppendLine($"<tr><td>{H(name)}</td><td style=\"text-align:left\">{H(value)}</td></tr>");
        }

        html.AppendLine($"</table><p>Every figure is in <a href=\"{ReportJson.FileName}\">{ReportJson.FileName}</a>; <a href=\"endpoints.csv\">endpoints.csv</a> has the table above.</p>");
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static void Section(StringBuilder html, ReportSection section)
    {
        static string H(string text) => WebUtility.HtmlEncode(text);
        html.AppendLine($"<h2>{H(section.Title)}</h2>");
        if (section.Text is { } text)
        {
            html.AppendLine($"<p>{H(text)}</p>");
        }

        if (section.Header.Count > 0)
        {
            html.AppendLine($"<table id=\"{H(section.Id)}\"><tr>{string.Concat(section.Header.Select(h => $"<th>{H(h)}</th>"))}</tr>");
            foreach (var row in section.Rows)
            {
                html.AppendLine($"<tr>{string.Concat(row.Select(cell => $"<td>{H(cell)}</td>"))}</tr>");
            }

            html.AppendLine("</table>");
        }

        foreach (var image in section.Images)
        {
            html.AppendLine($"<img alt=\"{H(image.Alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(image.Png)}\">");
        }
    }

    private static void Messages(StringBuilder html, string title, string id, IReadOnlyList<EndpointReport> endpoints, Func<EndpointReport, IReadOnlyList<MessageCount>> select)
    {
        var rows = endpoints.SelectMany(e => select(e).Select(m => (e.Name, m.Message, m.Count))).OrderByDescending(r => r.Count).ToList();
        html.AppendLine($"<h2>{title}</h2>");
        if (rows.Count == 0)
        {
            html.AppendLine($"<p id=\"{id}\">None.</p>");
            return;
        }

        html.AppendLine($"<table id=\"{id}\"><tr><th>endpoint</th><th>message</th><th>occurrences</th></tr>");
        foreach (var (name, message, count) in rows)
        {
            html.AppendLine($"<tr><td>{WebUtility.HtmlEncode(name)}</td><td style=\"text-align:left\">{WebUtility.HtmlEncode(message)}</td><td>{count.ToString("N0", CultureInfo.InvariantCulture)}</td></tr>");
        }

        html.AppendLine("</table>");
    }

    private static string Csv(string text) => text.AsSpan().IndexOfAny(",\"\r\n") >= 0
        ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
        : text;
}
