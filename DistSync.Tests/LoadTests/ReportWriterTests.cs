using System.Text.Json;
using DistSync.LoadTests.Benchmarks;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Scenario;

namespace DistSync.Tests.LoadTests;

public sealed class ReportWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "report-" + Guid.NewGuid().ToString("n"));

    /// <summary>A small run: two endpoints over three seconds, one failure and one refusal, and one marked window.</summary>
    internal static RunReport SampleReport(string command = "scenario", double latencyScale = 1)
    {
        var get = new EndpointRecorder("GET /locks/state", 0);
        var set = new EndpointRecorder("POST /cache/set", 1);
        for (var second = 0; second < 3; second++)
        {
            for (var i = 0; i < 10; i++)
            {
                get.Record(second, (long)((500 + (i * 100)) * latencyScale), OpKind.Ok, null);
            }

            if (second > 0)
            {
                set.Record(second, (long)(4_000 * latencyScale), OpKind.Ok, null);
            }
        }

        get.Record(2, 0, OpKind.Failed, "503 no leader, \"retry\"");
        set.Record(2, 0, OpKind.Refused, "409 busy");
        get.AdvanceTo(3);
        set.AdvanceTo(3);
        return new RunReport(
            command,
            $"dotnet run -c Release --project DistSync.LoadTests -- {command} --seconds 3",
            new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 2, 6, 0, 3, TimeSpan.Zero),
            new MachineReport("2 cores (nproc), CPU test", 2, "0.10 0.20 0.30", "0.40 0.50 0.60", null),
            new Dictionary<string, string> { ["users"] = "5" },
            [get.Summarize(TimeSpan.FromSeconds(3)), set.Summarize(TimeSpan.FromSeconds(3))],
            [new LevelResult("locks", "1 client", 1, 30, 0, 1, TimeSpan.FromSeconds(3), 1.0, 0.9, 1.2, 1.4, 1.5, [])],
            [new FaultWindow("users arriving", 0, 1)],
            ["a note"]);
    }

    [Fact]
    public void Write_SampleRun_EveryFileWithItsFigures()
    {
        var report = SampleReport();

        ReportWriter.Write(report, _dir);

        Assert.Equal(
            ["endpoints.csv", "index.html", "report.json", "series-get-locks-state.csv", "series-post-cache-set.csv"],
            Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
        Assert.Equal(
            ["histogram-get-locks-state.png", "histogram-post-cache-set.png", "latency.png", "throughput.png"],
            Directory.GetFiles(Path.Combine(_dir, "charts")).Select(Path.GetFileName).Order());
        foreach (var png in Directory.GetFiles(Path.Combine(_dir, "charts")))
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png).Take(4));
        }

        var endpoints = File.ReadAllLines(Path.Combine(_dir, "endpoints.csv"));
        Assert.Equal("name,requests,ok,refused,failed,requests_per_s,ok_per_s,mean_ms,min_ms,p50_ms,p90_ms,p95_ms,p99_ms,max_ms", endpoints[0]);
        Assert.StartsWith("GET /locks/state,31,30,0,1,10.33,10.00,", endpoints[1], StringComparison.Ordinal);
        Assert.StartsWith("POST /cache/set,3,2,1,0,", endpoints[2], StringComparison.Ordinal);
        var series = File.ReadAllLines(Path.Combine(_dir, "series-post-cache-set.csv"));
        Assert.Equal("second,ok,refused,failed,p50_ms,p99_ms,covered_s", series[0]);
        Assert.Equal(["1,1,0,0", "2,1,1,0"], series.Skip(1).Select(l => string.Join(',', l.Split(',').Take(4))));
        Assert.All(series.Skip(1), l => Assert.Equal(4.0, double.Parse(l.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture), 0.01));
    }

    [Fact]
    public void Write_ThenRead_TheSameFigures()
    {
        var report = SampleReport();

        ReportWriter.Write(report, _dir);
        var read = ReportJson.Read(_dir);

        Assert.Equal(JsonSerializer.Serialize(report, ReportJson.Options), JsonSerializer.Serialize(read, ReportJson.Options));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        Assert.Equal("0.10 0.20 0.30", json.RootElement.GetProperty("machine").GetProperty("load_average_before").GetString());
        Assert.Equal(30, json.RootElement.GetProperty("endpoints")[0].GetProperty("ok").GetInt64());
    }

    [Fact]
    public void Page_SampleRun_TablesHoldEveryEndpointAndEachMessageOnce()
    {
        ReportWriter.Write(SampleReport(), _dir);

        var html = File.ReadAllText(Path.Combine(_dir, "index.html"));

        Assert.Contains("<td>GET /locks/state</td><td>31</td><td class=\"bad\">1</td>", html, StringComparison.Ordinal);
        Assert.Contains("503 no leader, &quot;retry&quot;", html, StringComparison.Ordinal);
        Assert.Contains(">409 busy</td><td>1</td>", html, StringComparison.Ordinal);
        Assert.Equal(4, html.Split("data:image/png;base64,").Length - 1); // throughput, latency, two histograms: nothing fetched from elsewhere
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteIfAsked_BenchmarkWithReport_KeepsWhatItPrintedAndItsLevels()
    {
        var options = CommandLine.Parse(["--report", _dir]);
        var settings = BenchSettings.From(options);
        var output = new TranscriptWriter(TextWriter.Null);
        output.WriteLine("  redelivery after a consumer died: 100 messages back 12.5 ms (p50)");
        settings.Recorder!.Record("queue 1 client", System.Diagnostics.Stopwatch.GetTimestamp(), OpResult.Ok);

        BenchmarkReport.WriteIfAsked(options, "queue", "queue --report x", settings, SampleReport().Levels, "0 0 0", output);

        var report = ReportJson.Read(_dir);
        Assert.Contains("100 messages back 12.5 ms", report.Transcript, StringComparison.Ordinal);
        Assert.Equal("queue 1 client", Assert.Single(report.Endpoints).Name);
        Assert.Equal("locks", Assert.Single(report.Levels).Benchmark);
        Assert.Contains("100 messages back 12.5 ms", File.ReadAllText(Path.Combine(_dir, "index.html")), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteIfAsked_NoReportOption_WritesNothing()
    {
        var options = CommandLine.Parse([]);
        var settings = BenchSettings.From(options);

        BenchmarkReport.WriteIfAsked(options, "queue", "queue", settings, [], "0 0 0", TextWriter.Null);

        Assert.Null(settings.Recorder);
        Assert.False(Directory.Exists(_dir));
    }

    [Fact]
    public void SeriesFileNames_SameSlugTwice_AreMadeUnique() =>
        Assert.Equal(["series-get-a-b.csv", "series-get-a-b-2.csv"],
            ReportWriter.SeriesFileNames([SampleReport().Endpoints[0] with { Name = "GET /a/b" }, SampleReport().Endpoints[0] with { Name = "GET /a-b" }]).Values);

    [Fact]
    public void Read_NoReportThere_SaysWhatWasLookedFor()
    {
        var error = Assert.Throws<ArgumentException>(() => ReportJson.Read(_dir));

        Assert.Contains("no report at", error.Message, StringComparison.Ordinal);
        Assert.Contains("--report DIR", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_TwoRuns_RatiosToTheFirstPerEndpoint()
    {
        var a = SampleReport();
        var b = SampleReport(latencyScale: 2) with { Endpoints = [.. SampleReport(latencyScale: 2).Endpoints.Take(1)] };

        var lines = ReportComparison.Markdown([new("a", a), new("b", b)]).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("| endpoint | a req/s | a p50 ms | a p99 ms | a failed | b req/s | b p50 ms | b p99 ms | b failed | req/s b/a | p50 b/a | p99 b/a |", lines[0]);
        Assert.Matches(@"^\| GET /locks/state \| 10\.3 \| .* \| 1 \| 10\.3 \| .* \| 1 \| 1\.00x \| 2\.00x \| 2\.00x \|$", lines[2]);
        Assert.Matches(@"^\| POST /cache/set \| 1\.0 \| 4\.00 \| 4\.00 \| 0 \| - \| - \| - \| - \| - \| - \| - \|$", lines[3]);
    }

    [Theory]
    [InlineData(2.0, 1.0, "2.00x")]
    [InlineData(1.0, 0.0, "-")]
    [InlineData(null, 1.0, "-")]
    public void Ratio_MissingOrZeroBaseline_IsADash(double? value, double? baseline, string expected) =>
        Assert.Equal(expected, ReportComparison.Ratio(value, baseline));

    [Fact]
    public void ReplicationNotes_OneNodeAgainstThree_NamesWhatEachReplicatedRequestPays()
    {
        var one = SampleReport();
        var three = SampleReport(latencyScale: 3);

        var notes = ScenarioCommand.ReplicationNotes([new("1 node", one), new("3 nodes", three)]);

        var state = Assert.Single(notes, n => n.StartsWith("GET /locks/state", StringComparison.Ordinal));
        Assert.Contains("on 1 node", state, StringComparison.Ordinal);
        Assert.Contains("ReadIndex", state, StringComparison.Ordinal);
        Assert.Matches(@"\(\+\d+\.\d\d ms\)", state);
        Assert.Contains(notes, n => n.StartsWith("POST /cache/set", StringComparison.Ordinal) && n.Contains("invalidate", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
