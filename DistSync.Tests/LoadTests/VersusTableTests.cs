using DistSync.LoadTests.Reports;
using DistSync.LoadTests.Versus;

namespace DistSync.Tests.LoadTests;

public sealed class VersusTableTests
{
    private static VersusResult Result(string workload, int workers, string system, string driver, long ok, double p50, double p99) =>
        new(workload, workers, system, driver, new LevelResult(workload, $"{workers} workers", workers, ok, 0, 0, TimeSpan.FromSeconds(2), p50, p50, p99, p99, p99, []));

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
}
