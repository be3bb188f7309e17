using System.Globalization;
using DistSync.LoadTests.Reports;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DistSync.LoadTests.Scenario;

/// <summary>
/// Locust's statistics page in the terminal: per request name, requests, failures, expected refusals (409), median,
/// p95, p99, average, min, max and current RPS, refreshed every second, with failures and refusals grouped by
/// message underneath. Where the output is not a terminal (CI, a pipe), a plain line every 10 s instead, and the
/// table once at the end.
/// </summary>
public sealed class LiveView(IAnsiConsole console)
{
    /// <summary>"Current RPS" averages this many closed seconds, so one slow second does not make the figure jump.</summary>
    public const int CurrentWindowSeconds = 5;

    public sealed record Status(int Spawned, int Users, TimeSpan Elapsed, TimeSpan Duration, bool Stopping);

    /// <summary>Width the table is laid out for where the output is not a terminal (a log has no width of its own).</summary>
    private const int LogWidth = 160;

    /// <summary>A terminal at least this wide shows every column.</summary>
    private const int WideWidth = 130;

    /// <summary>The terminal, or for a pipe or a log a console as wide as the table needs.</summary>
    public static IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = LogWidth;
        }

        return console;
    }

    public bool Interactive => console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    public async Task ShowAsync(Task work, Func<Status> status, RunRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(recorder);
        if (Interactive)
        {
            var narrow = console.Profile.Width < WideWidth;
        await console.Live(Build(status(), recorder, narrow)).AutoClear(false).StartAsync(async live =>
            {
                while (!work.IsCompleted)
                {
                    await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(1)));
                    live.UpdateTarget(Build(status(), recorder, narrow));
                    live.Refresh();
                }
            });
            return;
        }

        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(10)));
            var now = status();
            var total = recorder.Total(bins: false);
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {Clock(now.Elapsed)} of {Clock(now.Duration)}: {now.Spawned}/{now.Users} users, {total.Requests} requests, {total.Failed} failed, {total.Refused} refused (409), {recorder.RecentTotalRate(CurrentWindowSeconds):F1} req/s now, p50 {total.P50Ms:F1} ms{(now.Stopping ? ", finishing" : "")}"));
        }

        console.Write(Build(status(), recorder, narrow: false));
    }

    /// <summary>
    /// The view at one moment: a header line, the statistics table, the grouped failures and refusals. A
    /// <paramref name="narrow"/> terminal (under 130 columns) gets the table without its 95%, average and min columns.
    /// </summary>
    public static IRenderable Build(Status status, RunRecorder recorder, bool narrow)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(recorder);
        // By name, so a row stays where it is from one refresh (and one run) to the next.
        var endpoints = recorder.Snapshot(bins: false).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var total = recorder.Total(bins: false);
        var header = new Markup(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{(status.Stopping ? "finishing" : "running")}: {Clock(status.Elapsed)} of {Clock(status.Duration)}, users {status.Spawned}/{status.Users}, {total.Requests:N0} requests, {total.Failed:N0} failures, {total.Refused:N0} refused (409)")));
        var table = new Table().Border(narrow ? TableBorder.Minimal : TableBorder.Rounded).Title("requests (latencies of successes, ms)");
        table.AddColumn(new TableColumn("Name").NoWrap());
        string[] columns = ["# reqs", "# fails", "# 409", "Median", "95%", "99%", "Average", "Min", "Max", "Current RPS"];
        var shown = Enumerable.Range(0, columns.Length).Where(i => !narrow || columns[i] is not ("Average" or "Min" or "95%")).ToArray();
        foreach (var i in shown)
        {
            table.AddColumn(new TableColumn(narrow && columns[i] == "Current RPS" ? "RPS" : columns[i]).RightAligned().NoWrap());
        }

        foreach (var e in endpoints)
        {
            table.AddRow([.. Row(e, recorder.RecentRate(e.Name, CurrentWindowSeconds), bold: false, narrow).Where((_, i) => i == 0 || shown.Contains(i - 1))]);
        }

        if (endpoints.Count > 0)
        {
            table.AddEmptyRow();
            table.AddRow([.. Row(total, recorder.RecentTotalRate(CurrentWindowSeconds), bold: true, narrow).Where((_, i) => i == 0 || shown.Contains(i - 1))]);
        }

        var rows = new List<IRenderable> { header, table };
        AddMessages(rows, "failures", endpoints, e => e.Failures, Color.Red);
        AddMessages(rows, "expected refusals (409)", endpoints, e => e.Refusals, Color.Yellow);
        return new Rows(rows);
    }

    private static IRenderable[] Row(EndpointReport e, double currentRps, bool bold, bool narrow)
    {
        var style = bold ? new Style(decoration: Decoration.Bold) : Style.Plain;
        string F(double value) => value.ToString(narrow || value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
        return
        [
            new Text(e.Name, style),
            new Text(e.Requests.ToString("N0", CultureInfo.InvariantCulture), style),
            new Text(e.Failed.ToString("N0", CultureInfo.InvariantCulture), e.Failed > 0 ? new Style(Color.Red, decoration: bold ? Decoration.Bold : Decoration.None) : style),
            new Text(e.Refused.ToString("N0", CultureInfo.InvariantCulture), style),
            new Text(F(e.P50Ms), style),
            new Text(F(e.P95Ms), style),
            new Text(F(e.P99Ms), style),
            new Text(F(e.MeanMs), style),
            new Text(F(e.MinMs), style),
            new Text(F(e.MaxMs), style),
            new Text(F(currentRps), style),
        ];
    }

    private static void AddMessages(List<IRenderable> rows, string title, IReadOnlyList<EndpointReport> endpoints, Func<EndpointReport, IReadOnlyList<MessageCount>> select, Color color)
    {
        var messages = endpoints.SelectMany(e => select(e).Select(m => (e.Name, m.Message, m.Count))).OrderByDescending(m => m.Count).Take(10).ToList();
        if (messages.Count == 0)
        {
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).Title(title).BorderColor(color);
        table.AddColumn(new TableColumn("# occurrences").RightAligned());
        table.AddColumn("Name");
        table.AddColumn("Message");
        foreach (var (name, message, count) in messages)
        {
            table.AddRow(new Text(count.ToString("N0", CultureInfo.InvariantCulture)), new Text(name), new Text(message));
        }

        rows.Add(table);
    }

    private static string Clock(TimeSpan time) => time.TotalHours >= 1 ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : time.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}
