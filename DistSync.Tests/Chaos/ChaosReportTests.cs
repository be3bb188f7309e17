using DistSync.LoadTests.Chaos;
using DistSync.LoadTests.Chaos.History;
using DistSync.LoadTests.Chaos.Nemesis;
using DistSync.LoadTests.Chaos.Workloads;
using DistSync.LoadTests.Reports;

namespace DistSync.Tests.Chaos;

/// <summary>A chaos report: availability per fault type from the history, a violation drawn, the history saved to check again.</summary>
public sealed class ChaosReportTests : IDisposable
{
    private const long S = 1_000_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", $"chaos-report-{Guid.NewGuid():n}");

    private static ChaosOp Op(string kind, long at, Outcome outcome, string? detail = null) =>
        new("c1", "node1", kind, "k", "v", at, at + 1000, outcome) { Detail = detail };

    private static ChaosResult Result(IReadOnlyList<ChaosOp> history, IReadOnlyList<Violation> violations)
    {
        var faults = new List<FaultRecord>
        {
            new(new Fault(Nemeses.Pause, "leader", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)), "paused node2", 10 * S, 15 * S),
            new(new Fault(Nemeses.Kill, "one", TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5)), "killed node3", 20 * S, 25 * S),
        };
        return new ChaosResult(new ChaosSettings(TimeSpan.FromSeconds(30), ["locks", "cache"], [Nemeses.Pause, Nemeses.Kill], 7), history, faults, violations,
            new RunRecorder(), DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), "apphost.log");
    }

    [Fact]
    public void Availability_CountsOperationsByTheFaultTheyWereInvokedIn()
    {
        ChaosOp[] history =
        [
            Op(OpKinds.CacheRead, 1 * S, Outcome.Ok), Op(OpKinds.Acquire, 2 * S, Outcome.Failed, "409 busy"), // no fault: both answered
            Op(OpKinds.CacheRead, 11 * S, Outcome.Ok), Op(OpKinds.CacheRead, 12 * S, Outcome.Unknown, "timeout"), // pause: half answered
            Op(OpKinds.Acquire, 21 * S, Outcome.Failed, ChaosClient.Unavailable), Op(OpKinds.Acquire, 22 * S, Outcome.Ok),
            Op(OpKinds.Acquire, 23 * S, Outcome.Ok), Op(OpKinds.CacheWrite, 24 * S, Outcome.Ok), // kill: 3 of 4 answered
            Op(OpKinds.CacheRead, 40 * S, Outcome.Unknown), // after the run's length (the final reads): not counted
        ];

        var rows = ChaosReport.Availability(Result(history, [])).Rows.ToDictionary(r => r[0]);

        Assert.Equal(["no fault", "-", "20", "2", "100.0 %", "50.0 %", "0.0 %", "100.0 %", "100.0 %", "0"], rows["no fault"]);
        Assert.Equal(["pause", "1", "5", "2", "50.0 %", "50.0 %", "50.0 %", "-", "50.0 %", "0"], rows["pause"]);
        Assert.Equal(["kill", "1", "5", "4", "75.0 %", "75.0 %", "0.0 %", "66.7 %", "100.0 %", "1"], rows["kill"]);
    }

    [Fact]
    public void Availability_GivesEachRedisFaultARowOfItsOwn_SinceAFailoverAndACutLinkCostDifferentThings()
    {
        var faults = new List<FaultRecord>
        {
            new(new Fault(Nemeses.Redis, "kill-primary", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)), "killed redis-1", 5 * S, 10 * S),
            new(new Fault(Nemeses.Redis, "partition-primary", TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5)), "cut redis-2's link", 15 * S, 20 * S),
            new(new Fault(Nemeses.Kill, "one", TimeSpan.FromSeconds(22), TimeSpan.FromSeconds(4)), "killed node1", 22 * S, 26 * S),
        };
        ChaosOp[] history =
        [
            Op(OpKinds.CacheWrite, 6 * S, Outcome.Ok), Op(OpKinds.CacheWrite, 7 * S, Outcome.Unknown, "503"), // kill-primary: half answered
            Op(OpKinds.CacheWrite, 16 * S, Outcome.Unknown, "503"), // partition-primary: nothing answered
            Op(OpKinds.CacheRead, 23 * S, Outcome.Ok),
        ];
        var result = new ChaosResult(new ChaosSettings(TimeSpan.FromSeconds(30), ["cache"], [Nemeses.Redis, Nemeses.Kill], 7, Redis: RedisTopology.Cluster),
            history, faults, [], new RunRecorder(), DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), "apphost.log");

        var rows = ChaosReport.Availability(result).Rows.ToDictionary(r => r[0]);

        Assert.Equal(["no fault", "redis kill-primary", "redis partition-primary", "kill"], rows.Keys);
        Assert.Equal(["redis kill-primary", "1", "5", "2", "50.0 %", "50.0 %", "50.0 %", "50.0 %", "0"], rows["redis kill-primary"]);
        Assert.Equal(["redis partition-primary", "1", "5", "1", "0.0 %", "0.0 %", "100.0 %", "0.0 %", "0"], rows["redis partition-primary"]);
        Assert.Equal("1", rows["kill"][3]);
    }

    [Fact]
    public void Write_SavesTheHistory_TheViolations_AndAPageWithTheTimeline()
    {
        var grantA = new ChaosOp("a", "node1", OpKinds.Acquire, "r", "a", 1 * S, 2 * S, Outcome.Ok) { Token = 1, TtlMs = 10_000 };
        var grantB = new ChaosOp("b", "node2", OpKinds.Acquire, "r", "b", 3 * S, 4 * S, Outcome.Ok) { Token = 2, TtlMs = 10_000 };
        ChaosOp[] history = [grantA, grantB];
        var violations = ChaosRun.Check(history);
        Assert.NotEmpty(violations);
        var result = Result(history, violations);

        var report = ChaosReport.Build(result, "chaos --seconds 30", "0 0 0", ["a line"]);
        ChaosReport.Write(result, report, _dir, TextWriter.Null);

        Assert.Equal(history, HistoryFile.Read(Path.Combine(_dir, HistoryFile.FileName)));
        Assert.Contains("both held it exclusively", File.ReadAllText(Path.Combine(_dir, "violations.txt")), StringComparison.Ordinal);
        var page = File.ReadAllText(Path.Combine(_dir, ReportWriter.PageName));
        Assert.Contains("<table id=\"availability\">", page, StringComparison.Ordinal);
        Assert.Contains("<table id=\"faults\">", page, StringComparison.Ordinal);
        Assert.Contains("one redis-server", page, StringComparison.Ordinal);
        Assert.Contains("alt=\"violation 1:", page, StringComparison.Ordinal);
        Assert.Equal(violations.Count, ChaosRun.Check(HistoryFile.Read(Path.Combine(_dir, HistoryFile.FileName))).Count);
    }

    [Fact]
    public void Timeline_IsAPng()
    {
        var violation = new Violation("locks", "two holders", [
            new ChaosOp("a", "node1", OpKinds.Acquire, "r", "a", 1 * S, 2 * S, Outcome.Ok) { Token = 1 },
            new ChaosOp("b", "node2", OpKinds.Acquire, "r", "b", 1 * S, 3 * S, Outcome.Unknown),
        ]);

        var png = ChaosReport.Timeline(violation);

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
