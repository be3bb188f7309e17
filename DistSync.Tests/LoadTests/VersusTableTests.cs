using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Versus;

namespace DistSync.Tests.LoadTests;

public sealed class VersusTableTests
{
    private static VersusResult Result(string workload, int workers, string system, string driver, long ok, double p50, double p99, string? setup = null) =>
        new(workload, workers, system, driver, new LevelResult(workload, $"{workers} workers", workers, ok, 0, 0, TimeSpan.FromSeconds(2), p50, p50, p99, p99, p99, []),
            setup ?? (system == "distsync" ? "single" : null));

    /// <summary>The queue at 10 workers on NATS, then DistSync's client on each Redis setup (500, 400 and 800 round trips/s).</summary>
    private static readonly VersusResult[] QueueOnSetups =
    [
        Result("queue", 10, "nats", "NATS.Net", ok: 4_000, p50: 2, p99: 8),
        Result("queue", 10, "distsync", "client", ok: 1_000, p50: 20, p99: 40, setup: "single"),
        Result("queue", 10, "distsync", "client", ok: 800, p50: 25, p99: 50, setup: "cluster"),
        Result("queue", 10, "distsync", "client", ok: 1_600, p50: 12.5, p99: 30, setup: "cluster-nowait"),
    ];

    private static readonly VersusResult[] Locks =
    [
        Result("locks", 10, "etcd", "dotnet-etcd", ok: 4_000, p50: 5, p99: 20),
        Result("locks", 10, "distsync", "client", ok: 1_000, p50: 10, p99: 30),
        Result("locks", 10, "distsync", "http", ok: 3_000, p50: 4, p99: 10),
    ];

    [Fact]
    public void Compare_PeerAndTwoDrivers_OneComparisonPerDriverWithExactRatios()
    {
        var comparisons = VersusTable.Compare(Locks);

        Assert.Equal(["client", "http"], comparisons.Select(c => c.DistSync!.Driver));
        Assert.All(comparisons, c => Assert.Equal("etcd", c.Peer!.System));
        Assert.Equal([0.25, 0.75], comparisons.Select(c => c.OpsRatio!.Value)); // 500/s and 1,500/s against 2,000/s
        Assert.Equal([2.0, 0.8], comparisons.Select(c => c.P50Ratio!.Value));
        Assert.Equal(1.5, comparisons[0].P99Ratio!.Value, 10);
    }

    [Fact]
    public void Compare_NoDistSync_OneComparisonWithoutRatios()
    {
        var comparison = Assert.Single(VersusTable.Compare([Result("cache", 50, "redis", "SE.Redis", 10_000, 0.2, 1)]));

        Assert.Null(comparison.DistSync);
        Assert.Null(comparison.OpsRatio);
    }

    [Fact]
    public void Markdown_EachDriver_HasARowWithItsRatio()
    {
        var lines = VersusTable.Markdown([.. Locks, Result("queue", 1, "nats", "NATS.Net", 1_000, 1, 2)]).TrimEnd().Split('\n');

        Assert.Equal(2 + 3, lines.Length); // the header, its rule, two lock rows (one per driver), one queue row
        Assert.Equal("| locks | 10 | etcd | 2,000 | 5.00 | 20.00 | client | 500 | 10.00 | 30.00 | 0.25× | 2.00× |", lines[2].TrimEnd());
        Assert.Equal("| locks | 10 | etcd | 2,000 | 5.00 | 20.00 | http | 1,500 | 4.00 | 10.00 | 0.75× | 0.80× |", lines[3].TrimEnd());
        Assert.Equal("| queue | 1 | NATS JetStream | 500 | 1.00 | 2.00 | - | - | - | - | - | - |", lines[4].TrimEnd());
    }

    [Fact]
    public void WriteText_PeerAndDrivers_PrintsARatioRowPerDriver()
    {
        using var output = new StringWriter();

        VersusTable.WriteText(output, Locks);

        var ratios = output.ToString().Split('\n').Where(l => l.Contains("DistSync/etcd", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, ratios.Count);
        Assert.Contains("0.25×", ratios[0], StringComparison.Ordinal);
        Assert.Contains("0.75×", ratios[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Label_OnlyTheDefaultSetup_PrintsAsBefore()
    {
        Assert.False(VersusTable.NamesSetups(Locks));
        Assert.Equal("DistSync", VersusTable.Label(Locks[1], VersusTable.NamesSetups(Locks)));
        Assert.True(VersusTable.NamesSetups(QueueOnSetups));
        Assert.Equal(["NATS JetStream", "DistSync [single]", "DistSync [cluster]", "DistSync [cluster-nowait]"],
            QueueOnSetups.Select(r => VersusTable.Label(r, namesSetups: true)));
    }

    [Fact]
    public void Compare_EachSetup_HasItsOwnRatioToThePeer()
    {
        var comparisons = VersusTable.Compare(QueueOnSetups);

        Assert.Equal(["single", "cluster", "cluster-nowait"], comparisons.Select(c => c.DistSync!.RedisSetup));
        Assert.Equal([0.25, 0.2, 0.4], comparisons.Select(c => c.OpsRatio!.Value));
    }

    [Fact]
    public void CompareSetups_ClusterOverSingleAndWaitOverNoWait()
    {
        var setups = Assert.Single(VersusTable.CompareSetups(QueueOnSetups));

        Assert.Equal(("queue", 10, "client"), (setups.Workload, setups.Workers, setups.Driver));
        Assert.Equal(0.8, setups.ClusterOverSingleOps!.Value, 10);
        Assert.Equal(1.25, setups.ClusterOverSingleP50!.Value, 10);
        Assert.Equal(0.5, setups.WaitOverNoWaitOps!.Value, 10); // the replica wait halves round trips/s
        Assert.Equal(2.0, setups.WaitOverNoWaitP50!.Value, 10);
    }

    [Fact]
    public void CompareSetups_OneSetupOnly_IsEmpty()
    {
        Assert.Empty(VersusTable.CompareSetups(Locks));
        Assert.Empty(VersusTable.CompareSetups([QueueOnSetups[0], QueueOnSetups[2]]));
    }

    [Fact]
    public void Markdown_Setups_NamesEachAndAddsTheSetupsTable()
    {
        var lines = VersusTable.Markdown(QueueOnSetups).TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToList();

        Assert.Contains("| DistSync on |", lines[0], StringComparison.Ordinal);
        Assert.Equal("| queue | 10 | NATS JetStream | 2,000 | 2.00 | 8.00 | client | Redis Cluster | 400 | 25.00 | 50.00 | 0.20× | 12.50× |", lines[3]);
        var setups = lines.Skip(lines.IndexOf("") + 1).ToList();
        Assert.Equal(3, setups.Count); // header, rule, one row
        Assert.Equal("| queue | 10 | client | 500 | 20.00 | 400 | 25.00 | 800 | 12.50 | 0.80× | 1.25× | 0.50× | 2.00× |", setups[2]);
    }

    [Fact]
    public void Markdown_DefaultSetupOnly_HasNoSetupColumnOrTable()
    {
        var markdown = VersusTable.Markdown(Locks);

        Assert.DoesNotContain("DistSync on", markdown, StringComparison.Ordinal);
        Assert.Equal(2 + 2, markdown.TrimEnd().Split('\n').Length);
    }

    [Fact]
    public void WriteText_Setups_RatioRowsNameTheSetupAndTheSetupsTableFollows()
    {
        using var output = new StringWriter();

        VersusTable.WriteText(output, QueueOnSetups);

        var text = output.ToString();
        Assert.Contains("DistSync [cluster-nowait]/NATS JetStream", text, StringComparison.Ordinal);
        var row = text.Split('\n').Single(l => l.Contains("0.80× / 1.25×", StringComparison.Ordinal));
        Assert.Contains("0.50× / 2.00×", row, StringComparison.Ordinal);
    }
}
