using DistSync.AppHost.Dashboard.Store;

namespace DistSync.Tests.Dashboard;

public sealed class TelemetryStoreTests
{
    private static readonly DateTimeOffset _t0 = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, string> _none = [];

    private static SpanData Span(string traceId, string spanId, string name = "op", double durationMs = 1, string status = "unset", string? parent = null, int second = 0) =>
        new(traceId, spanId, parent, name, "node1", "test", "internal", _t0.AddSeconds(second), durationMs, status, null, _none, []);

    private static LogEntry Log(string message, string level = "information", string resource = "node1") =>
        new(0, _t0, resource, "test", level, 9, message, null, null, _none);

    private static MetricSample Point(string name, double value, string series = "a") =>
        new(new MetricInstrument("node1", "test", name, "ms", "", "gauge", "unspecified"), new Dictionary<string, string> { ["k"] = series }, new MetricPoint(_t0, value));

    [Fact]
    public void AddSpans_PastMaxTraces_DropsOldestTraceFirst()
    {
        var store = new TelemetryStore(maxTraces: 3, maxLogRecords: 10, maxMetricPoints: 10);

        for (var i = 1; i <= 5; i++)
        {
            store.AddSpans([Span($"t{i}", "s1")]);
        }

        Assert.Equal(3, store.TraceCount);
        Assert.Null(store.GetTrace("t1"));
        Assert.Null(store.GetTrace("t2"));
        Assert.Equal(["t5", "t4", "t3"], store.GetTraces(new TraceQuery()).Select(t => t.TraceId));
    }

    [Fact]
    public void AddSpans_LateSpanOfHeldTrace_JoinsItWithoutEvictingAnother()
    {
        var store = new TelemetryStore(maxTraces: 2, maxLogRecords: 10, maxMetricPoints: 10);
        store.AddSpans([Span("t1", "root", name: "raft.election", durationMs: 10)]);
        store.AddSpans([Span("t2", "root")]);

        store.AddSpans([Span("t1", "child", parent: "root", durationMs: 30, second: 1)]);

        var trace = store.GetTrace("t1");
        Assert.NotNull(trace);
        Assert.Equal(2, trace.SpanCount);
        Assert.Equal("raft.election", trace.Name);
        Assert.Equal(1030, trace.DurationMs);
        Assert.NotNull(store.GetTrace("t2"));
    }

    [Fact]
    public void AddSpans_PastMaxSpansPerTrace_KeepsTheFirstSpans()
    {
        var store = new TelemetryStore(maxTraces: 2, maxLogRecords: 10, maxMetricPoints: 10, maxSpansPerTrace: 3);

        store.AddSpans([.. Enumerable.Range(0, 10).Select(i => Span("t1", $"s{i}"))]);

        Assert.Equal(["s0", "s1", "s2"], store.GetTrace("t1")!.Spans.Select(s => s.SpanId));
    }

    [Fact]
    public void AddSpans_SameSpanTwice_KeepsOne()
    {
        var store = new TelemetryStore(maxTraces: 2, maxLogRecords: 10, maxMetricPoints: 10);

        store.AddSpans([Span("t1", "s1"), Span("t1", "s2", parent: "s1")]);
        store.AddSpans([Span("t1", "s1")]);

        Assert.Equal(["s1", "s2"], store.GetTrace("t1")!.Spans.Select(s => s.SpanId));
    }

    [Fact]
    public void GetTraces_Filters_MatchNameDurationAndErrors()
    {
        var store = new TelemetryStore(maxTraces: 10, maxLogRecords: 10, maxMetricPoints: 10);
        store.AddSpans([Span("t1", "s", name: "raft.election", durationMs: 5)]);
        store.AddSpans([Span("t2", "s", name: "lock.acquire", durationMs: 50)]);
        store.AddSpans([Span("t3", "s", name: "lock.acquire", durationMs: 1, status: "error")]);

        Assert.Equal(["t1"], store.GetTraces(new TraceQuery(Name: "ELECTION")).Select(t => t.TraceId));
        Assert.Equal(["t2"], store.GetTraces(new TraceQuery(MinDurationMs: 10)).Select(t => t.TraceId));
        Assert.Equal(["t3"], store.GetTraces(new TraceQuery(ErrorsOnly: true)).Select(t => t.TraceId));
        Assert.Empty(store.GetTraces(new TraceQuery(Resource: "node2")));
    }

    [Fact]
    public void AddLogs_PastMaxLogRecords_DropsOldestAndKeepsSequencesIncreasing()
    {
        var store = new TelemetryStore(maxTraces: 10, maxLogRecords: 4, maxMetricPoints: 10);

        store.AddLogs([.. Enumerable.Range(1, 10).Select(i => Log($"m{i}"))]);

        Assert.Equal(4, store.LogCount);
        var logs = store.GetLogs(new LogQuery());
        Assert.Equal(["m10", "m9", "m8", "m7"], logs.Select(l => l.Message));
        Assert.Equal([10L, 9, 8, 7], logs.Select(l => l.Sequence));
        Assert.Equal(["m10"], store.GetLogs(new LogQuery(AfterSequence: 9)).Select(l => l.Message));
    }

    [Fact]
    public void GetLogs_MinLevel_ShowsThatLevelAndAbove()
    {
        var store = new TelemetryStore(maxTraces: 10, maxLogRecords: 10, maxMetricPoints: 10);
        store.AddLogs([Log("d", "debug"), Log("i"), Log("w", "warning"), Log("e", "error"), Log("c", "critical")]);

        Assert.Equal(["c", "e", "w"], store.GetLogs(new LogQuery(MinLevel: "warning")).Select(l => l.Message));
    }

    [Fact]
    public void AddMetrics_PastMaxMetricPoints_DropsOldestPointAcrossSeries()
    {
        var store = new TelemetryStore(maxTraces: 10, maxLogRecords: 10, maxMetricPoints: 3);

        store.AddMetrics([Point("m1", 1, "a"), Point("m1", 2, "b"), Point("m2", 3), Point("m1", 4, "a")]);

        Assert.Equal(3, store.MetricPointCount);
        var m1 = store.GetSeries("node1", "m1");
        Assert.NotNull(m1);
        Assert.Equal([4.0], m1.Value.Series.Single(s => s.Attributes["k"] == "a").Points.Select(p => p.Value));
        Assert.Equal([2.0], m1.Value.Series.Single(s => s.Attributes["k"] == "b").Points.Select(p => p.Value));

        store.AddMetrics([Point("m3", 5), Point("m3", 6), Point("m3", 7)]);

        Assert.Equal(3, store.MetricPointCount);
        Assert.Null(store.GetSeries("node1", "m1"));
        Assert.Equal(["m3"], store.GetInstruments().Select(i => i.Instrument.Name));
    }

    [Fact]
    public void Changed_AfterAdd_IsRaisedWithTheKind()
    {
        var store = new TelemetryStore(maxTraces: 10, maxLogRecords: 10, maxMetricPoints: 10);
        var kinds = new List<TelemetryKind>();
        store.Changed += kinds.Add;

        store.AddSpans([Span("t1", "s")]);
        store.AddLogs([Log("x")]);
        store.AddMetrics([Point("m", 1)]);
        store.AddLogs([]);

        Assert.Equal([TelemetryKind.Traces, TelemetryKind.Logs, TelemetryKind.Metrics], kinds);
        Assert.Equal(["node1"], store.GetResourceNames());
    }
}
