using System.Diagnostics;
using System.Diagnostics.Metrics;
using DistSync.Node.Hosting;
using DistSync.Raft;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Consensus;

/// <summary>The <c>DistSync.Consensus</c> activity source and meter: elections, replication, commit latency.</summary>
public sealed class RaftTelemetry : IDisposable
{
    public const string Name = "DistSync.Consensus";
    public const string NodeIdAttribute = "distsync.node.id";

    private static readonly ActivitySource Source = new(Name);

    private readonly string _nodeId;
    private readonly Meter _meter;
    private readonly Counter<long> _elections;
    private readonly Counter<long> _leaderChanges;
    private readonly Counter<long> _dropped;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _persistDuration;
    private readonly Histogram<long> _persistEntries;
    private Func<RaftStatus?> _status = () => null;
    private Activity? _election;

    public RaftTelemetry(IMeterFactory meters, IOptions<NodeOptions> options)
    {
        _nodeId = options.Value.NodeId;
        _meter = meters.Create(Name);
        var node = new KeyValuePair<string, object?>(NodeIdAttribute, _nodeId);
        _elections = _meter.CreateCounter<long>("distsync.raft.elections", "{election}", "Elections this node started (as pre-candidate or candidate).");
        _leaderChanges = _meter.CreateCounter<long>("distsync.raft.leader.changes", "{change}", "Times this node saw the leader change.");
        _dropped = _meter.CreateCounter<long>("distsync.raft.messages.dropped", "{message}", "Messages dropped because a peer's send queue was full.");
        _commitDuration = _meter.CreateHistogram<double>("distsync.raft.commit.duration", "ms", "From proposal to applied on the proposing node.");
        _persistDuration = _meter.CreateHistogram<double>("distsync.raft.persist.duration", "ms", "Writing and fsyncing one Ready to the log.");
        _persistEntries = _meter.CreateHistogram<long>("distsync.raft.persist.entries", "{entry}", "Entries written by one fsync (group commit size).");
        _meter.CreateObservableGauge("distsync.raft.term", () => new Measurement<long>(_status()?.Term ?? 0, node), "{term}", "Current Raft term.");
        _meter.CreateObservableGauge("distsync.raft.commit.index", () => new Measurement<long>(_status()?.Commit ?? 0, node), "{index}", "Highest committed log index.");
        _meter.CreateObservableGauge("distsync.raft.log.entries", () => new Measurement<long>(_status()?.EntriesInMemory ?? 0, node), "{entry}", "Log entries held since the last snapshot.");
        _meter.CreateObservableGauge("distsync.raft.leader", () => new Measurement<int>(_status()?.Role == RaftRole.Leader ? 1 : 0, node), "{leader}", "1 while this node leads.");
    }

    public void Bind(Func<RaftStatus?> status) => _status = status;

    /// <summary>Role and leader changes, as the loop sees them: open a <c>raft.election</c> span when an election starts, close it when a leader is known.</summary>
    public void OnSoftState(SoftState previous, SoftState current)
    {
        var campaigning = current.Role is RaftRole.PreCandidate or RaftRole.Candidate;
        if (campaigning && _election is null)
        {
            _elections.Add(1, new KeyValuePair<string, object?>(NodeIdAttribute, _nodeId));
            var outer = Activity.Current;
            Activity.Current = null; // an election is a root: it belongs to no request
            _election = Source.StartActivity("raft.election", ActivityKind.Internal);
            _election?.SetTag(NodeIdAttribute, _nodeId);
            _election?.SetTag("raft.term.start", current.Term);
            Activity.Current = outer;
        }

        if (current.Role == RaftRole.Candidate)
        {
            _election?.AddEvent(new ActivityEvent("candidate", tags: new ActivityTagsCollection { ["raft.term"] = current.Term }));
        }

        if (current.LeaderId is not null && current.LeaderId != previous.LeaderId)
        {
            _leaderChanges.Add(1, new KeyValuePair<string, object?>(NodeIdAttribute, _nodeId));
            if (_election is not null)
            {
                _election.SetTag("raft.term", current.Term);
                _election.SetTag("raft.leader_id", current.LeaderId);
                _election.SetTag("raft.outcome", current.LeaderId == _nodeId ? "won" : "other_leader");
                _election.Stop();
                _election = null;
            }
        }
    }

    /// <summary>
    /// One proposal from submit to its apply on this node, a child of the request that made it: the request's trace shows
    /// how long Raft took (only when the request is traced; the loop's own spans are not tied to any one request).
    /// </summary>
    public Activity? StartPropose(byte machineTag)
    {
        if (Activity.Current is null)
        {
            return null;
        }

        var activity = Source.StartActivity("raft.propose", ActivityKind.Internal);
        activity?.SetTag(NodeIdAttribute, _nodeId);
        activity?.SetTag("raft.machine", machineTag);
        return activity;
    }

    public Activity? StartAppendEntries(string peer, int entries, long term)
    {
        var activity = Source.StartActivity("raft.append_entries", ActivityKind.Client);
        activity?.SetTag(NodeIdAttribute, _nodeId);
        activity?.SetTag("raft.peer", peer);
        activity?.SetTag("raft.entries", entries);
        activity?.SetTag("raft.term", term);
        return activity;
    }

    /// <summary>The receiving side of a traced append: a child of the sender's span, across the stream.</summary>
    public Activity? StartAppendReceived(ActivityContext parent, IReadOnlyList<Message> messages)
    {
        var activity = Source.StartActivity("raft.append_entries.receive", ActivityKind.Server, parent);
        if (activity is not null && messages.Count > 0)
        {
            activity.SetTag(NodeIdAttribute, _nodeId);
            activity.SetTag("raft.peer", messages[0].From);
            activity.SetTag("raft.entries", messages.Sum(m => m.Entries.Count));
            activity.SetTag("raft.term", messages[^1].Term);
        }

        return activity;
    }

    public void Committed(TimeSpan sinceProposed) =>
        _commitDuration.Record(sinceProposed.TotalMilliseconds, new KeyValuePair<string, object?>(NodeIdAttribute, _nodeId));

    public void Persisted(TimeSpan took, int entries)
    {
        _persistDuration.Record(took.TotalMilliseconds, new KeyValuePair<string, object?>(NodeIdAttribute, _nodeId));
        _persistEntries.Record(entries, new KeyValuePair<string, object?>(NodeIdAttribute, _nodeId));
    }

    public void MessageDropped(string peer) =>
        _dropped.Add(1, new KeyValuePair<string, object?>(NodeIdAttribute, _nodeId), new KeyValuePair<string, object?>("raft.peer", peer));

    public void Dispose()
    {
        _election?.Stop();
        _meter.Dispose();
    }
}
