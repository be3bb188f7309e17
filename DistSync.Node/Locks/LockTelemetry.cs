using System.Diagnostics;
using System.Diagnostics.Metrics;
using DistSync.Node.Hosting;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Locks;

/// <summary>The <c>DistSync.Locks</c> activity source and meter.</summary>
public sealed class LockTelemetry : IDisposable
{
    public const string Name = "DistSync.Locks";

    private static readonly ActivitySource Source = new(Name);

    private readonly KeyValuePair<string, object?> _node;
    private readonly Meter _meter;
    private readonly Histogram<double> _waitDuration;
    private readonly Counter<long> _deadlocks;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _grants;
    private Func<int> _held = () => 0;

    public LockTelemetry(IMeterFactory meters, IOptions<NodeOptions> options)
    {
        _node = new("distsync.node.id", options.Value.NodeId);
        _meter = meters.Create(Name);
        _waitDuration = _meter.CreateHistogram<double>("distsync.lock.wait.duration", "ms", "Time from an acquire request to its answer, waiting included.");
        _deadlocks = _meter.CreateCounter<long>("distsync.lock.deadlocks", "{request}", "Acquires refused because waiting would close a wait-for cycle.");
        _expired = _meter.CreateCounter<long>("distsync.lock.expired", "{lease}", "Holds released because their lease ended (counted by every node as it applies the expiry).");
        _grants = _meter.CreateCounter<long>("distsync.lock.grants", "{grant}", "Acquires answered with a grant by this node.");
        _meter.CreateObservableGauge("distsync.lock.held", () => new Measurement<int>(_held(), _node), "{resource}", "Resources with at least one holder.");
    }

    public void Bind(Func<int> held) => _held = held;

    public Activity? StartAcquire(string resource, string clientId, string mode)
    {
        var activity = Source.StartActivity("lock.acquire");
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("lock.resource", resource);
        activity?.SetTag("lock.client_id", clientId);
        activity?.SetTag("lock.mode", mode);
        return activity;
    }

    public void Answered(Activity? activity, string outcome, TimeSpan waited, long? fencingToken)
    {
        activity?.SetTag("lock.outcome", outcome);
        activity?.SetTag("lock.waited_ms", Math.Round(waited.TotalMilliseconds, 3));
        if (fencingToken is { } token)
        {
            activity?.SetTag("lock.fencing_token", token);
            _grants.Add(1, _node);
        }

        if (outcome == "deadlock")
        {
            _deadlocks.Add(1, _node);
        }

        _waitDuration.Record(waited.TotalMilliseconds, _node, new KeyValuePair<string, object?>("lock.outcome", outcome));
    }

    public void Observed(LockEvent change)
    {
        if (change is LockEvent.LeaseExpired)
        {
            _expired.Add(1, _node);
        }
    }

    public void Dispose() => _meter.Dispose();
}
