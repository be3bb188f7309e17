namespace DistSync.Raft;

/// <summary>
/// Membership changes one server at a time, with learners (thesis §4.1, §4.2.1), the way etcd raft makes them.
/// </summary>
/// <remarks>
/// <para>
/// <b>A configuration takes effect when its entry is applied</b> (etcd raft), not when it is appended (the thesis). The
/// thesis's rule makes a node switch back when a conflicting leader truncates the entry; applying only committed entries
/// never switches back, and a snapshot then captures exactly the configuration at its index. The host has nothing to do:
/// the core applies an <see cref="EntryType.ConfigChange"/> entry when <see cref="Advance"/> is given the Ready that
/// handed it out for applying, and on start it applies every committed one it loads, so a restart rebuilds the
/// configuration from the snapshot's and the log's. Two rules keep one-server changes safe with this timing:
/// a leader proposes a change only when no other is appended and not yet applied (one at a time, so any two
/// configurations in use at once differ by one server and their majorities overlap, thesis §4.1), and only once it has
/// committed an entry of its own term (so a change left uncommitted by an earlier leader cannot combine with its own:
/// the single-server bug reported on raft-dev in 2015; etcd raft's pendingConfIndex, set to the last index when a leader
/// is elected, covers both).
/// </para>
/// <para>
/// A removed leader keeps leading until its removal is applied: the entry commits by the configuration that was in effect,
/// which still counts the leader (etcd raft). It then tells its followers the commit index, hands over to the most
/// up-to-date voter (TimeoutNow), and steps down. A node that applied its own removal never campaigns; one that missed
/// it cannot disrupt the cluster when pre-vote and check-quorum are on: voters that heard from the leader within an
/// election timeout ignore its (pre)votes (thesis §4.2.3), and a failed pre-vote leaves every term as it was (§9.6).
/// </para>
/// </remarks>
public sealed partial class RaftNode
{
    private RaftConfiguration _config = new([], []);

    // Index of the entry (or snapshot) whose configuration is applied; config entries at or below it are done.
    private long _configIndex;

    // Each configuration applied since the last compaction with the index it took effect at, oldest first; the first
    // one is in effect at the snapshot's index. Bounded by the configuration changes since the last compaction.
    private readonly List<(long Index, RaftConfiguration Config)> _configHistory = [];

    /// <summary>The configuration this node has applied: the one it counts votes and quorums by.</summary>
    public RaftConfiguration Configuration => _config;

    /// <summary>Index of the entry or snapshot that set <see cref="Configuration"/> (0: the initial one from the options).</summary>
    public long ConfigurationIndex => _configIndex;

    /// <summary>True when this node may campaign and vote counts: it is a voter of its applied configuration.</summary>
    private bool Promotable => _config.IsVoter(_id);

    /// <summary>
    /// Appends a membership change when this node leads (thesis §4.1). It takes effect on each node when applied (see
    /// the remarks on this class); follow it in a Ready's committed entries like any proposal. Refused, with a
    /// <see cref="ConfigChangeRefusal"/> and a reason, when another change is pending, when this leader has not yet committed
    /// an entry of its term, or when the change does not fit the configuration (see <see cref="ConfigChangeRefusal"/>).
    /// A learner is promoted only once its match index reaches the leader's commit index: it then holds every committed
    /// entry and the new quorum can commit at once, not wait for it to catch up (thesis §4.2.1's concern).
    /// </summary>
    public ProposeResult ProposeConfigChange(ConfigChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(_leader);
        }

        if (_transferee is not null)
        {
            return ProposeResult.TransferInProgress(_id);
        }

        if (change.Context.Length > ConfigChange.MaxContextBytes)
        {
            return ProposeResult.TooLarge();
        }

        if (string.IsNullOrWhiteSpace(change.NodeId) || System.Text.Encoding.UTF8.GetByteCount(change.NodeId) > MessageCodec.MaxIdBytes)
        {
            return ProposeResult.ConfigChangeRefused(_id, ConfigChangeRefusal.InvalidNodeId,
                $"a node id is 1 to {MessageCodec.MaxIdBytes} bytes of UTF-8, not blank");
        }

        if (_log.LastIndex - _log.Committed >= _options.MaxUncommittedEntries)
        {
            return ProposeResult.Overloaded(_id);
        }

        var (refusal, reason) = CheckConfigChange(change);
        if (refusal != ConfigChangeRefusal.None)
        {
            return ProposeResult.ConfigChangeRefused(_id, refusal, reason);
        }

        var entry = new Entry(_log.LastIndex + 1, _term, EntryType.ConfigChange, change.Encode(_config.Apply(change)));
        AppendAsLeader(entry);
        return ProposeResult.Accepted(entry.Index, entry.Term);
    }

    private (ConfigChangeRefusal Refusal, string Reason) CheckConfigChange(ConfigChange change)
    {
        var pending = PendingConfigIndex();
        if (pending > 0)
        {
            return (ConfigChangeRefusal.ChangePending, $"the configuration change at index {pending} is not applied yet; one change at a time");
        }

        if (!CommittedInCurrentTerm)
        {
            return (ConfigChangeRefusal.LeaderNotCommittedInTerm, $"the leader has not yet committed an entry of term {_term}; retry shortly");
        }

        var refusal = _config.Check(change);
        var id = change.NodeId;
        switch (refusal)
        {
            case ConfigChangeRefusal.AlreadyMember:
                return (refusal, $"'{id}' is already a {(_config.IsVoter(id) ? "voter" : "learner")}");
            case ConfigChangeRefusal.NotLearner:
                return (refusal, _config.IsVoter(id) ? $"'{id}' is already a voter" : $"'{id}' is not a learner; add it as a learner first");
            case ConfigChangeRefusal.NotMember:
                return (refusal, $"'{id}' is not a member");
            case ConfigChangeRefusal.LastVoter:
                return (refusal, $"'{id}' is the last voter");
            case ConfigChangeRefusal.TooManyMembers:
                return (refusal, $"at most {RaftConfiguration.MaxMembers} voters and {RaftConfiguration.MaxMembers} learners");
        }

        if (change.Type == ConfigChangeType.Promote && _progress[id].Match < _log.Committed)
        {
            var match = _progress[id].Match;
            return (ConfigChangeRefusal.LearnerBehind, $"learner '{id}' holds the log up to {match}, {_log.Committed - match} entries behind the commit index {_log.Committed}; promote it once caught up");
        }

        return (ConfigChangeRefusal.None, "");
    }

    /// <summary>The index of a configuration entry appended and not yet applied, or 0. Scans the unapplied tail only.</summary>
    private long PendingConfigIndex()
    {
        for (var index = _log.LastIndex; index > Math.Max(Math.Max(_log.Applied, _configIndex), _log.SnapshotIndex); index--)
        {
            if (_log.At(index).Type == EntryType.ConfigChange)
            {
                return index;
            }
        }

        return 0;
    }

    /// <summary>The configuration in effect once the entry at <paramref name="index"/> is applied (for a snapshot at that index).</summary>
    public RaftConfiguration ConfigurationAt(long index)
    {
        var config = _configHistory[0].Config;
        foreach (var (at, c) in _configHistory)
        {
            if (at > index)
            {
                break;
            }

            config = c;
        }

        return config;
    }

    /// <summary>On start: the snapshot's configuration (or the options'), then every committed configuration entry loaded.</summary>
    private void RestoreConfiguration(RaftConfiguration initial, long initialIndex)
    {
        _configHistory.Clear();
        _configHistory.Add((initialIndex, initial));
        SwitchConfiguration(initial, initialIndex);
        for (var index = Math.Max(_log.FirstIndex, initialIndex + 1); index <= _log.Committed; index++)
        {
            var entry = _log.At(index);
            if (entry.Type == EntryType.ConfigChange)
            {
                ApplyConfigEntry(entry);
            }
        }
    }

    /// <summary>Entries the host has just applied: the configuration changes among them take effect now.</summary>
    private void ApplyConfigEntries(IReadOnlyList<Entry> applied)
    {
        foreach (var entry in applied)
        {
            if (entry.Type == EntryType.ConfigChange && entry.Index > _configIndex)
            {
                ApplyConfigEntry(entry);
            }
        }
    }

    private void ApplyConfigEntry(Entry entry)
    {
        // The entry carries the configuration it leads to; it was checked against its predecessor by the leader that
        // proposed it, under the one-pending rule, so it is applied as it stands.
        ConfigChange.Decode(entry.Data, out var after);
        _configHistory.Add((entry.Index, after));
        SwitchConfiguration(after, entry.Index);
    }

    /// <summary>A snapshot from the leader replaces the log and with it the configuration.</summary>
    private void RestoreConfigurationFrom(SnapshotMetadata metadata)
    {
        if (metadata.Voters.Count == 0)
        {
            return; // no configuration recorded: keep ours
        }

        var config = metadata.Configuration;
        _configHistory.Clear();
        _configHistory.Add((metadata.Index, config));
        SwitchConfiguration(config, metadata.Index);
    }

    /// <summary>Drops configurations no longer needed for a snapshot at or after <paramref name="snapshotIndex"/>.</summary>
    private void TrimConfigHistory(long snapshotIndex)
    {
        while (_configHistory.Count > 1 && _configHistory[1].Index <= snapshotIndex)
        {
            _configHistory.RemoveAt(0);
        }
    }

    /// <summary>Makes <paramref name="config"/> the one in effect (etcd raft: switchToConfig).</summary>
    private void SwitchConfiguration(RaftConfiguration config, long index)
    {
        if (_role == RaftRole.Leader && !config.IsVoter(_id))
        {
            HandOverBeforeLeaving(config);
        }

        _config = config;
        _configIndex = index;
        _voters = [.. config.Voters];
        _peers = [.. config.Voters.Concat(config.Learners).Where(id => id != _id)];
        _quorum = (_voters.Length / 2) + 1;
        var added = ReconcileProgress(config);

        if (_role is RaftRole.Candidate or RaftRole.PreCandidate && !config.IsVoter(_id))
        {
            // Removed while campaigning: the votes it gathers must not make it leader.
            BecomeFollower(_term, null);
            return;
        }

        if (_role != RaftRole.Leader)
        {
            return;
        }

        if (!config.IsVoter(_id))
        {
            BecomeFollower(_term, null);
            return;
        }

        if (_transferee is not null && !config.IsVoter(_transferee))
        {
            _transferee = null;
        }

        // Fewer voters may commit more at once; new members are probed now rather than at the next heartbeat.
        if (MaybeCommit())
        {
            _commitBroadcastPending = true;
        }

        foreach (var id in added)
        {
            if (id != _id)
            {
                SendAppend(id, sendIfEmpty: true);
            }
        }
    }

    /// <summary>Drops the progress of members that left and starts it for those that joined; returns the joiners.</summary>
    private List<string> ReconcileProgress(RaftConfiguration config)
    {
        foreach (var id in _progress.Keys.ToList())
        {
            if (id != _id && !config.IsMember(id))
            {
                _progress.Remove(id);
            }
        }

        var added = new List<string>();
        foreach (var id in config.Voters.Concat(config.Learners))
        {
            if (!_progress.ContainsKey(id))
            {
                // A promoted learner keeps its Progress object: only new members start afresh (etcd raft: confchange).
                _progress[id] = new Progress(_log.LastIndex + 1, _options.MaxInflightAppends) { RecentActive = true };
                added.Add(id);
            }
        }

        // A node keeps its own progress even once removed (it never leads then): the persistence bookkeeping needs it.
        if (!_progress.ContainsKey(_id))
        {
            _progress[_id] = new Progress(_log.LastIndex + 1, _options.MaxInflightAppends);
        }

        return added;
    }

    /// <summary>
    /// The leader applies its own removal: tell everyone the commit index (so they apply the removal too) and ask the most
    /// up-to-date remaining voter to campaign at once, rather than leave the cluster to an election timeout.
    /// </summary>
    private void HandOverBeforeLeaving(RaftConfiguration next)
    {
        BroadcastHeartbeat(0);
        string? best = null;
        foreach (var id in next.Voters)
        {
            if (_progress.TryGetValue(id, out var pr) && pr.Match == _log.LastIndex && (best is null || string.CompareOrdinal(id, best) < 0))
            {
                best = id;
            }
        }

        if (best is not null)
        {
            SendTimeoutNow(best);
        }
    }
}
