using DistSync.Raft;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>The safety properties of Raft Figure 3, checked after every tick, plus read linearizability.</summary>
internal sealed partial class ClusterSimulation
{
    // Everything known committed or applied anywhere, by index - 1: (term, content key), and the state hash after it.
    private readonly List<(long Term, long Key)> _history = [];
    private readonly List<ulong> _hashAfter = [];
    private readonly Dictionary<long, string> _leaderOfTerm = [];
    private readonly Dictionary<string, long> _commitChecked = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Node, long RequestId), long> _readFloor = [];
    private long _maxAppliedAnywhere;
    private long _markerKey;

    protected override void CheckInvariants()
    {
        foreach (var node in Nodes)
        {
            if (node.Raft is not { } raft)
            {
                continue;
            }

            if (raft.Role == RaftRole.Leader)
            {
                CheckElectionSafety(node, raft);
                CheckMembership(node, raft);
            }

            RecordCommitted(node, raft.Log);
        }

        for (var a = 0; a < Nodes.Count; a++)
        {
            for (var b = a + 1; b < Nodes.Count; b++)
            {
                if (Nodes[a].Raft is { } ra && Nodes[b].Raft is { } rb)
                {
                    CheckLogMatching(Nodes[a].Id, ra.Log, Nodes[b].Id, rb.Log);
                }
            }
        }
    }

    /// <summary>Raft §5.2 election safety: at most one leader per term; a new leader holds every committed entry (§5.4 leader completeness).</summary>
    private void CheckElectionSafety(SimulatedNode node, RaftNode raft)
    {
        if (_leaderOfTerm.TryGetValue(raft.Term, out var leader))
        {
            if (leader != node.Id)
            {
                Fail($"election safety: {leader} and {node.Id} both lead term {raft.Term}");
            }

            return;
        }

        _leaderOfTerm[raft.Term] = node.Id;
        var log = raft.Log;
        if (log.LastIndex < _history.Count)
        {
            Fail($"leader completeness: {node.Id} leads term {raft.Term} with last index {log.LastIndex} but {_history.Count} entries are committed");
        }

        for (var index = log.SnapshotIndex + 1; index <= _history.Count; index++)
        {
            var entry = log.At(index);
            if (_history[(int)index - 1] != (entry.Term, SimulatedNode.EntryKey(entry)))
            {
                Fail($"leader completeness: {node.Id} leads term {raft.Term} without committed entry {index}");
            }
        }
    }

    private void RecordCommitted(SimulatedNode node, RaftLog log)
    {
        var from = _commitChecked.TryGetValue(node.Id, out var checkedUpTo) && checkedUpTo <= log.Committed ? checkedUpTo : 0;
        from = Math.Max(from, log.SnapshotIndex);
        for (var index = from + 1; index <= log.Committed; index++)
        {
            var entry = log.At(index);
            Record(node.Id, index, entry.Term, SimulatedNode.EntryKey(entry), "committed");
        }

        _commitChecked[node.Id] = log.Committed;
    }

    private void Record(string nodeId, long index, long term, long key, string what)
    {
        var position = (int)index - 1;
        if (position < _history.Count)
        {
            if (_history[position] != (term, key))
            {
                Fail($"state machine safety: {nodeId} {what} ({term}, {key}) at {index} where ({_history[position].Term}, {_history[position].Key}) was committed");
            }
        }
        else if (position == _history.Count)
        {
            _history.Add((term, key));
        }
        else
        {
            Fail($"{nodeId} {what} index {index} with only {_history.Count} entries known");
        }
    }

    /// <summary>Raft §5.4.3 state machine safety: every node applies the same entry at an index, reaching the same state.</summary>
    private void RecordApplied(SimulatedNode node, Entry entry)
    {
        Record(node.Id, entry.Index, entry.Term, SimulatedNode.EntryKey(entry), "applied");
        var position = (int)entry.Index - 1;
        if (position < _hashAfter.Count)
        {
            if (_hashAfter[position] != node.StateHash)
            {
                Fail($"state machine safety: {node.Id} reached a different state at {entry.Index}");
            }
        }
        else
        {
            _hashAfter.Add(node.StateHash);
        }

        _maxAppliedAnywhere = Math.Max(_maxAppliedAnywhere, entry.Index);
        if (entry.Type == EntryType.Command)
        {
            CommittedCommands++;
        }
    }

    protected override void CheckRestoredState(SimulatedNode node, Snapshot snapshot)
    {
        var index = snapshot.Metadata.Index;
        if (index > _hashAfter.Count || _hashAfter[(int)index - 1] != node.StateHash || node.AppliedIndex != index)
        {
            Fail($"state machine safety: {node.Id} restored a snapshot at {index} that no node applied");
        }
    }

    /// <summary>Raft §5.3 log matching: same index and term means the same entry and the same history before it.</summary>
    private void CheckLogMatching(string idA, RaftLog a, string idB, RaftLog b)
    {
        var low = Math.Max(a.FirstIndex, b.FirstIndex);
        var high = Math.Min(a.LastIndex, b.LastIndex);
        var agreeUpTo = 0L;
        for (var index = high; index >= low; index--)
        {
            if (a.At(index).Term == b.At(index).Term)
            {
                agreeUpTo = index;
                break;
            }
        }

        for (var index = low; index <= agreeUpTo; index++)
        {
            var ea = a.At(index);
            var eb = b.At(index);
            if (ea.Term != eb.Term || SimulatedNode.EntryKey(ea) != SimulatedNode.EntryKey(eb))
            {
                Fail($"log matching: {idA} and {idB} agree at {agreeUpTo} but differ at {index}");
            }
        }
    }

    /// <summary>Thesis §6.4: a read index covers every write that completed before the read began.</summary>
    private void CheckRead(SimulatedNode node, ReadState read)
    {
        if (!_readFloor.Remove((node.Id, read.RequestId), out var floor) || read.Failed)
        {
            return;
        }

        ReadsServed++;
        if (read.Index < floor)
        {
            Fail($"linearizable read: {node.Id} got read index {read.Index} below {floor}, applied before the read began");
        }
    }

    protected override bool MarkerStillPossible(long markerIndex) =>
        markerIndex > _history.Count || _history[(int)markerIndex - 1].Key == _markerKey;
}
