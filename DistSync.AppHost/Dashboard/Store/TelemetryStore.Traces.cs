namespace DistSync.AppHost.Dashboard.Store;

public sealed partial class TelemetryStore
{
    private readonly Lock _tracesLock = new();
    // Oldest trace first; the dictionary finds a trace's node so a late span joins its trace.
    private readonly LinkedList<TraceBucket> _traceOrder = new();
    private readonly Dictionary<string, LinkedListNode<TraceBucket>> _traces = new(StringComparer.Ordinal);

    /// <summary>Traces held now.</summary>
    public int TraceCount
    {
        get
        {
            lock (_tracesLock)
            {
                return _traces.Count;
            }
        }
    }

    /// <summary>Adds spans, grouping them by trace id; drops the oldest traces past the limit.</summary>
    public void AddSpans(IReadOnlyCollection<SpanData> spans)
    {
        if (spans.Count == 0)
        {
            return;
        }

        lock (_tracesLock)
        {
            foreach (var span in spans)
            {
                if (!_traces.TryGetValue(span.TraceId, out var node))
                {
                    node = _traceOrder.AddLast(new TraceBucket(span.TraceId));
                    _traces.Add(span.TraceId, node);
                }

                // An exporter that retries after a lost answer sends the same span again: keep one.
                if (node.Value.Spans.Count < _maxSpansPerTrace && node.Value.SpanIds.Add(span.SpanId))
                {
                    node.Value.Spans.Add(span);
                }
            }

            while (_traces.Count > _maxTraces)
            {
                var oldest = _traceOrder.First ?? throw new InvalidOperationException("Trace index and order list disagree.");
                _traceOrder.RemoveFirst();
                _traces.Remove(oldest.Value.TraceId);
            }

            if (_traces.Count != _traceOrder.Count)
            {
                throw new InvalidOperationException("Trace index and order list disagree.");
            }
        }

        NoteResources(spans.Select(s => s.Resource).Distinct());
        Raise(TelemetryKind.Traces);
    }

    /// <summary>Traces matching the query, newest first (by the arrival of their first span).</summary>
    public IReadOnlyList<TraceData> GetTraces(TraceQuery query)
    {
        var result = new List<TraceData>();
        lock (_tracesLock)
        {
            for (var node = _traceOrder.Last; node is not null && result.Count < query.Limit; node = node.Previous)
            {
                var trace = Summarize(node.Value);
                if (Matches(trace, query))
                {
                    result.Add(trace);
                }
            }
        }

        return result;
    }

    /// <summary>One trace with all its spans, or null when unknown (or already dropped).</summary>
    public TraceData? GetTrace(string traceId)
    {
        lock (_tracesLock)
        {
            return _traces.TryGetValue(traceId.ToLowerInvariant(), out var node) ? Summarize(node.Value) : null;
        }
    }

    private static bool Matches(TraceData trace, TraceQuery query) =>
        (query.Resource is null || trace.Resources.Contains(query.Resource, StringComparer.Ordinal))
        && (query.Name is null || trace.Spans.Any(s => s.Name.Contains(query.Name, StringComparison.OrdinalIgnoreCase)))
        && (query.MinDurationMs is null || trace.DurationMs >= query.MinDurationMs)
        && (!query.ErrorsOnly || trace.HasError);

    // Runs under the lock: copies the span list so callers never see it change.
    private static TraceData Summarize(TraceBucket bucket)
    {
        var spans = bucket.Spans.OrderBy(s => s.Start).ToArray();
        var start = spans[0].Start;
        var end = spans.Max(s => s.Start.AddTicks((long)(s.DurationMs * TimeSpan.TicksPerMillisecond)));
        var spanIds = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        // The root is the span without a parent; while it has not arrived, the earliest orphan stands in.
        var root = spans.FirstOrDefault(s => s.ParentSpanId is null)
            ?? spans.FirstOrDefault(s => !spanIds.Contains(s.ParentSpanId!))
            ?? spans[0];
        return new TraceData(
            bucket.TraceId,
            root.Name,
            [.. spans.Select(s => s.Resource).Distinct(StringComparer.Ordinal)],
            start,
            (end - start).TotalMilliseconds,
            spans.Length,
            spans.Any(s => s.Status == "error"),
            spans);
    }

    private sealed class TraceBucket(string traceId)
    {
        public string TraceId { get; } = traceId;

        public List<SpanData> Spans { get; } = [];

        public HashSet<string> SpanIds { get; } = new(StringComparer.Ordinal);
    }
}
