namespace DistSync.Raft;

/// <summary>The Ready/Advance hand-off with the host (etcd raft: rawnode.go).</summary>
public sealed partial class RaftNode
{
    private HardState _lastHardState;
    private SoftState _lastSoftState;
    private Ready? _outstanding;

    private HardState CurrentHardState => new(_term, _vote, _log.Committed);

    private SoftState CurrentSoftState => new(_role, _leader, _term);

    /// <summary>True when <see cref="GetReady"/> has work; false while a Ready awaits <see cref="Advance"/>.</summary>
    public bool HasReady()
    {
        if (_outstanding is not null)
        {
            return false;
        }

        FlushBroadcast();
        return _messages.Count > 0
            || _readStates.Count > 0
            || _log.HasUnstable
            || _log.PendingSnapshot is not null
            || _log.HasCommittedToApply
            || CurrentHardState != _lastHardState
            || CurrentSoftState != _lastSoftState;
    }

    /// <summary>Collects the work to do; see <see cref="Ready"/> for the order. Call <see cref="Advance"/> when done.</summary>
    public Ready GetReady()
    {
        if (_outstanding is not null)
        {
            throw new InvalidOperationException("GetReady called again before Advance.");
        }

        FlushBroadcast();
        var hardState = CurrentHardState;
        var softState = CurrentSoftState;
        var ready = new Ready
        {
            SoftState = softState != _lastSoftState ? softState : null,
            HardState = hardState != _lastHardState ? hardState : null,
            EntriesToPersist = _log.HasUnstable ? _log.UnstableEntries() : [],
            SnapshotToPersist = _log.PendingSnapshot,
            Messages = _messages,
            CommittedEntries = _log.CommittedToApply(_options.MaxCommittedEntriesPerReady),
            ReadStates = _readStates,
        };

        _messages = [];
        _readStates = [];
        _lastHardState = hardState;
        _lastSoftState = softState;
        CloseReadRounds();
        _outstanding = ready;
        return ready;
    }

    /// <summary>
    /// The host sent and applied <paramref name="ready"/>, and wrote what it had to persist unless
    /// <paramref name="persisted"/> is false: then its entries are being written elsewhere (etcd raft's asynchronous
    /// storage writes) and count as on disk only once the host calls <see cref="MarkPersisted"/>.
    /// </summary>
    public void Advance(Ready ready, bool persisted = true)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (!ReferenceEquals(ready, _outstanding))
        {
            throw new InvalidOperationException("Advance must be given the Ready returned by the last GetReady.");
        }

        _outstanding = null;
        if (ready.SnapshotToPersist is { } snapshot)
        {
            _log.SnapshotApplied(snapshot);
        }

        if (ready.EntriesToPersist.Count > 0)
        {
            var last = ready.EntriesToPersist[^1];
            _log.InProgressTo(last.Index);
            if (persisted)
            {
                MarkPersisted(last.Index, last.Term);
            }
        }

        if (ready.CommittedEntries.Count > 0)
        {
            _log.AppliedTo(ready.CommittedEntries[^1].Index);

            // Applied-time configuration changes (see RaftNode.Membership.cs): the host has applied these entries.
            ApplyConfigEntries(ready.CommittedEntries);
        }
    }

    /// <summary>
    /// The entries up to <paramref name="index"/> (of <paramref name="term"/>) are on this node's disk. Ignored when
    /// that entry was overwritten meanwhile. Only now does a leader count its own copy toward a quorum.
    /// </summary>
    public void MarkPersisted(long index, long term)
    {
        _log.StableTo(index, term);
        if (_role == RaftRole.Leader && _progress[_id].MaybeUpdate(_log.Stable) && MaybeCommit())
        {
            _commitBroadcastPending = true;
        }
    }
}
