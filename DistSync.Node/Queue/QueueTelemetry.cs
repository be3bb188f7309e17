using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DistSync.Node.Hosting;
using DistSync.Node.Membership;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Queue;

/// <summary>The <c>DistSync.Queue</c> activity source and meter.</summary>
public sealed class QueueTelemetry : IDisposable
{
    public const string Name = "DistSync.Queue";

    private static readonly ActivitySource Source = new(Name);

    private readonly KeyValuePair<string, object?> _node;
    private readonly Meter _meter;
    private readonly Histogram<double> _publishDuration;
    private readonly Counter<long> _published;
    private readonly Counter<long> _redeliveries;
    private readonly Counter<long> _deadLetters;
    private readonly ConcurrentDictionary<(string Topic, int Partition), (long Ready, long InFlight)> _depths = new();
    private Func<long> _epoch = () => 0;

    public QueueTelemetry(IMeterFactory meters, IOptions<NodeOptions> options)
    {
        _node = new("distsync.node.id", options.Value.NodeId);
        _meter = meters.Create(Name);
        _publishDuration = _meter.CreateHistogram<double>("distsync.queue.publish.duration", "ms", "Time from a publish request to its answer, forwarding included.");
        _published = _meter.CreateCounter<long>("distsync.queue.published", "{message}", "Messages stored by this node as a partition's owner.");
        _redeliveries = _meter.CreateCounter<long>("distsync.queue.redeliveries", "{message}", "Messages whose visibility timeout passed without an ack, put back by this node as owner.");
        _deadLetters = _meter.CreateCounter<long>("distsync.queue.dead_letters", "{message}", "Messages moved to a dead-letter list after max_deliveries.");
        _meter.CreateObservableGauge("distsync.queue.depth", () => Depths(d => d.Ready), "{message}", "Ready messages per partition this node owns.");
        _meter.CreateObservableGauge("distsync.queue.inflight", () => Depths(d => d.InFlight), "{message}", "Delivered, unacknowledged messages per partition this node owns.");
        _meter.CreateObservableGauge("distsync.queue.ring.epoch", () => new Measurement<long>(_epoch(), _node), "{epoch}", "The ring membership epoch this node has applied.");
    }

    public void BindEpoch(Func<long> epoch) => _epoch = epoch;

    public Activity? StartPublish(string topic, int count)
    {
        var activity = Source.StartActivity("queue.publish", ActivityKind.Producer);
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.batch.message_count", count);
        return activity;
    }

    public void PublishAnswered(Activity? activity, TimeSpan took, string topic, int partition, string owner, long epoch)
    {
        activity?.SetTag("queue.partition", partition);
        activity?.SetTag("queue.owner", owner);
        activity?.SetTag("queue.epoch", epoch);
        _publishDuration.Record(took.TotalMilliseconds, _node, new KeyValuePair<string, object?>("messaging.destination.name", topic));
    }

    public Activity? StartConsume(string topic, double waitSec)
    {
        var activity = Source.StartActivity("queue.consume", ActivityKind.Consumer);
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("queue.wait_sec", waitSec);
        return activity;
    }

    /// <summary>Links the consume's span to each delivered message's publish, through the context it carried.</summary>
    public static void Delivered(Activity? activity, IReadOnlyList<QueueMessageView> messages, double waitedMs)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("messaging.batch.message_count", messages.Count);
        activity.SetTag("queue.waited_ms", Math.Round(waitedMs, 3));
        foreach (var message in messages)
        {
            if (message.TraceParent is { } parent && ActivityContext.TryParse(parent, null, out var context))
            {
                activity.AddLink(new ActivityLink(context, new ActivityTagsCollection { ["messaging.message.id"] = message.Id }));
            }
        }
    }

    public Activity? StartAck(string topic, string id)
    {
        var activity = Source.StartActivity("queue.ack", ActivityKind.Client);
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.message.id", id);
        return activity;
    }

    public void Published(string topic, int count) =>
        _published.Add(count, _node, new KeyValuePair<string, object?>("messaging.destination.name", topic));

    public void Redelivered(string topic, int partition, long epoch, long requeued, long dead, long promoted)
    {
        using var activity = requeued + dead > 0 ? Source.StartActivity("queue.redeliver") : null;
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("queue.partition", partition);
        activity?.SetTag("queue.epoch", epoch);
        activity?.SetTag("queue.requeued", requeued);
        activity?.SetTag("queue.dead_lettered", dead);
        activity?.SetTag("queue.promoted", promoted);
        var tags = new TagList { _node, { "messaging.destination.name", topic } };
        _redeliveries.Add(requeued, tags);
        _deadLetters.Add(dead, tags);
    }

    /// <summary>Every node records the ring change it applied, with what it gained and lost.</summary>
    public void Rebalanced(ClusterMembership before, ClusterMembership after, int gained, int lost)
    {
        using var activity = Source.StartActivity("queue.ring.rebalance");
        activity?.SetTag(_node.Key, _node.Value);
        activity?.SetTag("queue.epoch", after.Epoch);
        activity?.SetTag("queue.members", string.Join(",", after.Members));
        activity?.SetTag("queue.members.before", string.Join(",", before.Members));
        activity?.SetTag("queue.partitions.gained", gained);
        activity?.SetTag("queue.partitions.lost", lost);
    }

    public void Depth(string topic, int partition, long ready, long inFlight) => _depths[(topic, partition)] = (ready, inFlight);

    public void ForgetDepth(Func<string, int, bool> keep)
    {
        foreach (var key in _depths.Keys.Where(k => !keep(k.Topic, k.Partition)).ToList())
        {
            _depths.TryRemove(key, out _);
        }
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> Depths(Func<(long Ready, long InFlight), long> pick) =>
        _depths.Select(d => new Measurement<long>(pick(d.Value), _node,
            new KeyValuePair<string, object?>("messaging.destination.name", d.Key.Topic),
            new KeyValuePair<string, object?>("queue.partition", d.Key.Partition)));
}
