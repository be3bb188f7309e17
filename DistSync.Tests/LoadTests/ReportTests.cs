using System.Diagnostics;
using DistSync.LoadTests.Benchmarks;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Measurement;
using DistSync.LoadTests.Reports;

namespace DistSync.Tests.LoadTests;

public sealed class ReportTests
{
    [Fact]
    public void CpuModel_CpuinfoText_IsTheFirstModelName()
    {
        const string cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: other\n";

        Assert.Equal("AMD EPYC 7B13", MachineInfo.CpuModel(cpuinfo));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("processor\t: 0\nmodel name\t:\n")]
    public void CpuModel_NoModelName_IsNull(string? cpuinfo) => Assert.Null(MachineInfo.CpuModel(cpuinfo));

    [Fact]
    public void Markdown_Results_OneRowPerLevelWithRateAndPercentiles()
    {
        var result = new LevelResult("raft", "64 proposers", 64, 25_000, 0, 2, TimeSpan.FromSeconds(5), 2.1, 1.5, 3.25, 7.0, 12.0, []);

        var lines = ResultTable.Markdown([result]).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
        Assert.Equal("| benchmark | level | ops/s | p50 ms | p90 ms | p99 ms | failed |", lines[0]);
        Assert.Equal("| raft | 64 proposers | 5,000 | 1.50 | 3.25 | 7.00 | 2 |", lines[2]);
    }

    [Fact]
    public void Markdown_LevelsWithADriver_ShowItInAColumnOfItsOwn()
    {
        var pairs = new LevelResult("uncontended", "10 clients", 10, 5_000, 0, 0, TimeSpan.FromSeconds(5), 2.1, 1.5, 3.25, 7.0, 12.0, []) { Driver = Drivers.Client };
        var raft = new LevelResult("raft", "1 proposer", 1, 500, 0, 0, TimeSpan.FromSeconds(5), 2.1, 1.5, 3.25, 7.0, 12.0, []);

        var lines = ResultTable.Markdown([raft, pairs]).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("| benchmark | level | driver | ops/s | p50 ms | p90 ms | p99 ms | failed |", lines[0]);
        Assert.Equal("| raft | 1 proposer | - | 100 | 1.50 | 3.25 | 7.00 | 0 |", lines[2]);
        Assert.Equal("| uncontended | 10 clients | client | 1,000 | 1.50 | 3.25 | 7.00 | 0 |", lines[3]);
    }

    [Fact]
    public void LevelStats_MixedOutcomes_CountsEachKindAndGroupsDetails()
    {
        var stats = new LevelStats();
        var start = Stopwatch.GetTimestamp();
        stats.Record(start, OpResult.Ok);
        stats.Record(start, OpResult.Ok);
        stats.Record(start, OpResult.Refused("409 busy"));
        stats.Record(start, OpResult.Failed("503"));
        stats.Record(start, OpResult.Failed("503"));

        var result = stats.Summarize("locks", "1 client", 1, TimeSpan.FromSeconds(2));

        Assert.Equal((2L, 1L, 2L), (result.Ok, result.Refused, result.Failed));
        Assert.Equal(1.0, result.OpsPerSecond);
        Assert.Equal(["failed: 503 x2", "refused: 409 busy x1"], result.Details);
    }

    [Theory]
    [InlineData("1\n", true)]
    [InlineData("0\n", false)]
    [InlineData(null, false)]
    public void AutogroupWarning_OnlyWhenTheSchedulerGroupsBySession(string? enabled, bool warned) =>
        Assert.Equal(warned, MachineInfo.AutogroupWarning(enabled) is { } text && text.Contains("sched_autogroup_enabled=0", StringComparison.Ordinal));
}
