using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistSync.Node.Cache;

/// <summary>The <c>DistSync.Cache</c> activity source and meter.</summary>
public sealed class CacheTelemetry : IDisposable
{
    public const string Name = "DistSync.Cache";

    private static readonly ActivitySource Source = new(Name);

    private readonly KeyValuePair<string, object?> _node;
    private readonly Meter _meter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _invalidations;
    private readonly Counter<long> _writeBacks;
    private readonly Counter<long> _evictions;
    private readonly Histogram<double> _setDuration;
    private Func<IReadOnlyDictionary<LineState, int>> _lines = () => new Dictionary<LineState, int>();

    public CacheTelemetry(IMeterFactory meters, string nodeId)
    {
        _node = new("distsync.node.id", nodeId);
        _meter = meters.Create(Name);
        _hits = _meter.CreateCounter<long>("distsync.cache.hits", "{read}", "Reads served from this node's L1, with no message.");
        _misses = _meter.CreateCounter<long>("distsync.cache.misses", "{read}", "Reads that asked the key's home.");
        _invalidations = _meter.CreateCounter<long>("distsync.cache.invalidations", "{revoke}", "Lines this node, as home, took from a holder (invalidate or downgrade).");
        _writeBacks = _meter.CreateCounter<long>("distsync.cache.writebacks", "{write}", "Dirty lines this node wrote back to Redis.");
        _evictions = _meter.CreateCounter<long>("distsync.cache.evictions", "{line}", "Lines dropped from this node's L1 to stay within its bounds.");
        _setDuration = _meter.CreateHistogram<double>("distsync.cache.set.duration", "ms", "Time from a set to its answer, invalidations included.");
        _meter.CreateObservableGauge("distsync.cache.lines", () => _lines().Select(c =>
            new Measurement<int>(c.Value, _node, new KeyValuePair<string, object?>("cache.state", c.Key.ToString()))), "{line}", "This node's lines by MESI state.");
    }

    public void BindLines(Func<IReadOnlyDictionary<LineState, int>> lines) => _lines = lines;

    public Activity? StartGet(string key)
    {
        var activity = Source.StartActivity("cache.get");
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("cache.key", key);
        return activity;
    }

    public void Got(Activity? activity, bool hit, LineState state, long version)
    {
        (hit ? _hits : _misses).Add(1, _node);
        activity?.SetTag("cache.hit", hit);
        activity?.SetTag("cache.state", state.ToString());
        activity?.SetTag("cache.version", version);
    }

    public Activity? StartSet(string key, string operation)
    {
        var activity = Source.StartActivity("cache." + operation);
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("cache.key", key);
        return activity;
    }

    public void Set(Activity? activity, TimeSpan took, LineState state, long version, bool silent)
    {
        _setDuration.Record(took.TotalMilliseconds, _node, new KeyValuePair<string, object?>("cache.silent", silent));
        activity?.SetTag("cache.state", state.ToString());
        activity?.SetTag("cache.version", version);
        activity?.SetTag("cache.silent", silent);
    }

    /// <summary>One span per holder a home revokes, a child of the write (or read) that needed it.</summary>
    public Activity? StartInvalidate(string key, string holder, RevokeKind kind)
    {
        var activity = Source.StartActivity("cache.invalidate", ActivityKind.Client);
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("cache.key", key);
        activity?.SetTag("cache.peer", holder);
        activity?.SetTag("cache.revoke", kind == RevokeKind.Invalidate ? "invalidate" : "downgrade");
        return activity;
    }

    public void Invalidated(Activity? activity, RevokeKind kind, string outcome, int attempts)
    {
        _invalidations.Add(1, _node, new KeyValuePair<string, object?>("cache.revoke", kind == RevokeKind.Invalidate ? "invalidate" : "downgrade"),
            new KeyValuePair<string, object?>("cache.outcome", outcome));
        activity?.SetTag("cache.outcome", outcome);
        activity?.SetTag("cache.attempts", attempts);
    }

    public void WroteBack(bool applied) => _writeBacks.Add(1, _node, new KeyValuePair<string, object?>("cache.applied", applied));

    public void Evicted(int lines) => _evictions.Add(lines, _node);

    public void Dispose() => _meter.Dispose();
}
