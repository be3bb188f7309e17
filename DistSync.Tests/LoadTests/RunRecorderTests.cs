using System.Diagnostics;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;
using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.LoadTests;

public sealed class RunRecorderTests
{
    [Fact]
    public void EndpointRecorder_OperationsOverSeconds_OnePointPerSecondWithItsOwnCountsAndPercentiles()
    {
        var endpoint = new EndpointRecorder("GET /x", firstSecond: 0);
        endpoint.Record(0, 1_000, OpKind.Ok, null);
        endpoint.Record(0, 3_000, OpKind.Ok, null);
        endpoint.Record(0, 0, OpKind.Refused, "409 busy");
        endpoint.Record(2, 50_000, OpKind.Ok, null);
        endpoint.Record(2, 0, OpKind.Failed, "503 no leader");
        endpoint.AdvanceTo(3);

        var report = endpoint.Summarize(TimeSpan.FromSeconds(4));

        Assert.Equal([0, 1, 2], report.Series.Select(p => p.Second));
        Assert.Equal([(2L, 1L, 0L), (0L, 0L, 0L), (1L, 0L, 1L)], report.Series.Select(p => (p.Ok, p.Refused, p.Failed)));
        Assert.Null(report.Series[1].P50Ms); // an idle second has no latency, not a latency of 0
        Assert.Equal(50.0, report.Series[2].P50Ms!.Value, 0);
        Assert.Equal((5L, 3L, 1L, 1L), (report.Requests, report.Ok, report.Refused, report.Failed));
        Assert.Equal(1.25, report.RequestsPerSecond);
        Assert.Equal(1.0, report.MinMs, 2);
        Assert.Equal(50.0, report.MaxMs, 0);
        Assert.Equal([new MessageCount("409 busy", 1)], report.Refusals);
        Assert.Equal([new MessageCount("503 no leader", 1)], report.Failures);
    }

    [Fact]
    public void EndpointRecorder_LevelStartingAndEndingMidSecond_EdgeSecondsSayHowMuchOfThemItRan()
    {
        var f = Stopwatch.Frequency;
        var origin = 10 * f;
        long At(double seconds) => origin + (long)(seconds * f);
        var endpoint = new EndpointRecorder("level", firstSecond: 1, origin);
        endpoint.Record(1, 1_000, OpKind.Ok, null, At(1.5), At(1.6));
        endpoint.Record(2, 1_000, OpKind.Ok, null, At(2.0), At(2.5));
        endpoint.Record(3, 1_000, OpKind.Ok, null, At(3.0), At(3.25));
        endpoint.AdvanceTo(4);

        var series = endpoint.Summarize(null).Series;

        Assert.Equal([0.5, 1.0, 0.25], series.Select(p => Math.Round(p.Covered, 3)));
        Assert.Equal([2.0, 1.0, 4.0], series.Select(p => Math.Round(p.RatePerSecond, 3))); // one op in a quarter second is 4/s
    }

    [Fact]
    public void EndpointRecorder_SecondStillOpen_IsLeftOutOfTheSeriesButCounted()
    {
        var endpoint = new EndpointRecorder("GET /x", 0);
        endpoint.Record(0, 1_000, OpKind.Ok, null);
        endpoint.Record(1, 1_000, OpKind.Ok, null); // second 1 has not closed: a partial second would read as a dip

        var report = endpoint.Summarize(TimeSpan.FromSeconds(2));

        Assert.Equal([0], report.Series.Select(p => p.Second));
        Assert.Equal(2, report.Ok);
    }

    [Fact]
    public void Snapshot_NoMeasuredTime_RatesAreOverEachEndpointsOwnSpanNotTheWholeRun()
    {
        var time = new FakeTimeProvider();
        var recorder = new RunRecorder(time);
        var twoSecondsAgo = time.GetTimestamp() - (2 * time.TimestampFrequency);
        recorder.Record("level 1", twoSecondsAgo, OpResult.Ok);
        recorder.Record("level 1", time.GetTimestamp(), OpResult.Ok);

        var rate = Assert.Single(recorder.Snapshot()).RequestsPerSecond;
        var overTenSeconds = Assert.Single(recorder.Snapshot(TimeSpan.FromSeconds(10))).RequestsPerSecond;

        Assert.Equal(1.0, rate); // 2 operations over the 2 s from the first's start to the last's end
        Assert.Equal(0.2, overTenSeconds);
    }

    [Fact]
    public void EndpointRecorder_LevelThatStartsLate_SeriesStartsAtItsSecondAndStopsAtItsLast()
    {
        var endpoint = new EndpointRecorder("locks 10 clients", firstSecond: 30);
        endpoint.Record(30, 2_000, OpKind.Ok, null);
        endpoint.Record(31, 2_000, OpKind.Ok, null);
        endpoint.AdvanceTo(90); // the run went on with other levels

        var report = endpoint.Summarize(TimeSpan.FromSeconds(2));

        Assert.Equal([30, 31], report.Series.Select(p => p.Second));
    }

    [Fact]
    public void EndpointRecorder_ManyDistinctMessages_KeepsABoundedNumberAndCountsTheRestAsOther()
    {
        var endpoint = new EndpointRecorder("POST /x", 0);
        for (var i = 0; i < 100; i++)
        {
            endpoint.Record(0, 0, OpKind.Failed, $"500 error {i}");
        }

        var failures = endpoint.Summarize(TimeSpan.FromSeconds(1)).Failures;

        Assert.Equal(33, failures.Count);
        Assert.Equal(new MessageCount("other", 68), failures[0]);
        Assert.Equal(100, failures.Sum(f => f.Count));
    }

    [Fact]
    public void RunRecorder_TwoEndpoints_RowsInFirstSeenOrderAndAnAggregateOfBoth()
    {
        var recorder = new RunRecorder();
        var start = Stopwatch.GetTimestamp();
        recorder.Record("b", start, OpResult.Ok);
        recorder.Record("a", start, OpResult.Failed("503"));
        recorder.Record("b", start, OpResult.Refused("409 busy"));

        var rows = recorder.Snapshot(TimeSpan.FromSeconds(1));
        var total = recorder.Total(TimeSpan.FromSeconds(1));

        Assert.Equal(["b", "a"], rows.Select(r => r.Name));
        Assert.Equal((2L, 1L), (rows[0].Requests, rows[1].Failed));
        Assert.Equal((3L, 1L, 1L, 1L), (total.Requests, total.Ok, total.Refused, total.Failed));
    }

    [Theory]
    [InlineData(0.01, 0.05)]
    [InlineData(0.05, 0.05)]
    [InlineData(0.051, 0.1)]
    [InlineData(1.5, 2)]
    [InlineData(2, 2)]
    [InlineData(7, 10)]
    [InlineData(999, 1000)]
    [InlineData(120_000, 60_000)]
    public void LatencyBins_Index_IsTheFirstBinWhoseUpperEdgeHoldsTheValue(double ms, double upperEdge) =>
        Assert.Equal(upperEdge, LatencyBins.Edges[LatencyBins.Index(ms)]);

    [Fact]
    public void LatencyBins_Edges_Are125StepsUpToAMinute()
    {
        Assert.Equal([0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50], LatencyBins.Edges.Take(10));
        Assert.Equal(60_000, LatencyBins.Edges[^1]);
    }

    [Fact]
    public void Summarize_Histogram_BinsHoldEverySuccessAndEmptyBinsBetweenAreKept()
    {
        var endpoint = new EndpointRecorder("GET /x", 0);
        endpoint.Record(0, 800, OpKind.Ok, null);   // 0.8 ms: the (0.5, 1] bin
        endpoint.Record(0, 900, OpKind.Ok, null);
        endpoint.Record(0, 30_000, OpKind.Ok, null); // 30 ms: the (20, 50] bin

        var bins = endpoint.Summarize(TimeSpan.FromSeconds(1)).Histogram;

        Assert.Equal([1.0, 2, 5, 10, 20, 50], bins.Select(b => b.ToMs));
        Assert.Equal([2L, 0, 0, 0, 0, 1], bins.Select(b => b.Count));
    }
}
