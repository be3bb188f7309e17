namespace DistSync.Raft;

/// <summary>Log replication, commit and snapshots (Raft §5.3, §5.4, §7).</summary>
public sealed partial class RaftNode
{
    // Set when entries or the commit index changed; appends go out once per Ready so proposals batch.
    private bool _appendBroadcastPending;
    private bool _commitBroadcastPending;

    private void AppendAsLeader(Entry entry)
    {
        _log.Append(entry);
        // The leader's own copy counts toward a quorum only once it is on disk (Advance), so the host may
        // send appends while it is still writing them (Raft thesis §10.2.1).
        _appendBroadcastPending = true;
    }

    private void FlushBroadcast()
    {
        if (_role != RaftRole.Leader || !(_appendBroadcastPending || _commitBroadcastPending))
        {
            return;
        }

        var commitChanged = _commitBroadcastPending;
        _appendBroadcastPending = false;
        _commitBroadcastPending = false;
        foreach (var peer in _peers)
        {
            SendAppend(peer, sendIfEmpty: commitChanged && _progress[peer].SentCommit < _log.Committed);
        }
    }

    /// <summary>Sends the next batch to <paramref name="to"/>, or the snapshot when those entries are compacted.</summary>
    private bool SendAppend(string to, bool sendIfEmpty)
    {
        var pr = _progress[to];
        if (pr.IsPaused)
        {
            return false;
        }

        var prevIndex = pr.Next - 1;
        if (!_log.TryTerm(prevIndex, out var prevTerm))
        {
            return SendSnapshot(to, pr);
        }

        var entries = _log.Slice(pr.Next, _options.MaxEntriesPerAppend, _options.MaxBytesPerAppend);
        if (entries is null)
        {
            return SendSnapshot(to, pr);
        }

        if (entries.Length == 0 && !sendIfEmpty)
        {
            return false;
        }

        Send(new Message
        {
            Type = MessageType.Append,
            From = _id,
            To = to,
            Term = _term,
            Index = prevIndex,
            LogTerm = prevTerm,
            Entries = entries,
            Commit = _log.Committed,
        });
        pr.SentCommit = _log.Committed;

        if (pr.State == ProgressState.Replicate)
        {
            if (entries.Length > 0)
            {
                var last = entries[^1].Index;
                pr.OptimisticUpdate(last);
                pr.Inflights.Add(last);
            }
        }
        else
        {
            pr.ProbeSent = true;
        }

        return true;
    }

    private bool SendSnapshot(string to, Progress pr)
    {
        var snapshot = _log.Snapshot
            ?? throw new InvalidOperationException($"Entries before {_log.FirstIndex} are gone but there is no snapshot.");
        Send(new Message
        {
            Type = MessageType.InstallSnapshot,
            From = _id,
            To = to,
            Term = _term,
            Index = snapshot.Metadata.Index,
            LogTerm = snapshot.Metadata.Term,
            Commit = _log.Committed,
            Snapshot = snapshot,
        });
        pr.BecomeSnapshot(snapshot.Metadata.Index);
        return true;
    }

    /// <summary>
    /// The host could not deliver a message to <paramref name="peer"/>: stop pipelining to it and probe, so the
    /// lost appends are resent without waiting for a rejection (etcd raft: ReportUnreachable).
    /// </summary>
    public void ReportUnreachable(string peer)
    {
        if (_role == RaftRole.Leader && peer != _id && _progress.TryGetValue(peer, out var pr) && pr.State == ProgressState.Replicate)
        {
            pr.BecomeProbe();
        }
    }

    /// <summary>
    /// The host finished sending the snapshot at <paramref name="index"/> to <paramref name="peer"/>: every byte went out
    /// (<paramref name="delivered"/>), or the connection broke first (etcd raft: ReportSnapshot). Delivered, the leader
    /// waits for the follower's answer, or for a heartbeat response, then probes right after the snapshot (the probe
    /// travels behind the snapshot, so it finds it installed) instead of resending the whole snapshot an election
    /// timeout later. Failed, it probes from what the follower is known to hold, which leads to a new snapshot.
    /// Ignored unless that snapshot is the one pending for the peer. Hosts whose transport sends a snapshot whole need
    /// not call it: the resend after an election timeout without an answer covers a lost one.
    /// </summary>
    public void ReportSnapshot(string peer, long index, bool delivered)
    {
        if (_role != RaftRole.Leader || !_progress.TryGetValue(peer, out var pr) || peer == _id
            || pr.State != ProgressState.Snapshot || pr.PendingSnapshot != index)
        {
            return;
        }

        if (!delivered)
        {
            pr.ForgetPendingSnapshot();
        }

        pr.BecomeProbe();
        pr.ProbeSent = true;
    }

    private void TickSnapshotRetries()
    {
        foreach (var peer in _peers)
        {
            var pr = _progress[peer];
            if (pr.State == ProgressState.Snapshot && ++pr.SnapshotTicks >= _options.ElectionTicks)
            {
                // No answer within an election timeout: assume the snapshot was lost and probe again.
                pr.BecomeProbe();
                SendAppend(peer, sendIfEmpty: true);
            }
        }
    }

    private void BroadcastHeartbeat(long context)
    {
        foreach (var peer in _peers)
        {
            // Never tell a follower to commit past what it is known to hold.
            var pr = _progress[peer];
            var commit = Math.Min(pr.Match, _log.Committed);
            pr.SentCommit = Math.Max(pr.SentCommit, commit);
            Send(new Message { Type = MessageType.Heartbeat, From = _id, To = peer, Term = _term, Commit = commit, Context = context });
        }
    }

    /// <summary>Raft §5.3 receiver side of AppendEntries.</summary>
    private void HandleAppend(Message m)
    {
        if (m.Index < _log.Committed)
        {
            Send(new Message { Type = MessageType.AppendResponse, From = _id, To = m.From, Term = _term, Index = _log.Committed });
            return;
        }

        var lastNew = _log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries);
        if (lastNew >= 0)
        {
            Send(new Message { Type = MessageType.AppendResponse, From = _id, To = m.From, Term = _term, Index = lastNew });
            return;
        }

        // Suggest where the logs may agree: skip every entry of a term the leader cannot have at that index.
        var hint = _log.FindConflictByTerm(Math.Min(m.Index, _log.LastIndex), m.LogTerm, out var hintTerm);
        Send(new Message
        {
            Type = MessageType.AppendResponse,
            From = _id,
            To = m.From,
            Term = _term,
            Index = m.Index,
            Reject = true,
            RejectHint = hint,
            LogTerm = hintTerm,
        });
    }

    private void HandleHeartbeat(Message m)
    {
        _log.CommitTo(m.Commit);
        Send(new Message { Type = MessageType.HeartbeatResponse, From = _id, To = m.From, Term = _term, Context = m.Context });
    }

    /// <summary>Raft §7 InstallSnapshot receiver: fast-forward when the log already holds it, else replace the log.</summary>
    private void HandleSnapshot(Message m)
    {
        if (m.Snapshot is not { } snapshot)
        {
            return;
        }

        var index = snapshot.Metadata.Index;
        if (index > _log.Committed)
        {
            if (_log.MatchTerm(index, snapshot.Metadata.Term))
            {
                _log.CommitTo(index);
            }
            else
            {
                _log.RestoreSnapshot(snapshot);
                RestoreConfigurationFrom(snapshot.Metadata);
            }
        }

        Send(new Message { Type = MessageType.AppendResponse, From = _id, To = m.From, Term = _term, Index = _log.Committed });
    }

    private void HandleAppendResponse(Message m)
    {
        if (!_progress.TryGetValue(m.From, out var pr) || m.From == _id)
        {
            return; // not (or no longer) a member
        }

        pr.RecentActive = true;
        if (m.Reject)
        {
            var next = m.LogTerm > 0 ? _log.FindConflictByTerm(m.RejectHint, m.LogTerm, out _) : m.RejectHint;
            if (pr.MaybeDecrTo(m.Index, next))
            {
                if (pr.State == ProgressState.Replicate)
                {
                    pr.BecomeProbe();
                }

                SendAppend(m.From, sendIfEmpty: true);
            }

            return;
        }

        var wasPaused = pr.IsPaused;
        // A probe answered at exactly the known match also proves where the follower stands (etcd raft v3.6).
        if (!pr.MaybeUpdate(m.Index) && !(pr.State == ProgressState.Probe && pr.Match == m.Index))
        {
            return;
        }

        switch (pr.State)
        {
            case ProgressState.Probe:
                pr.BecomeReplicate();
                break;
            case ProgressState.Snapshot when pr.Match + 1 >= _log.FirstIndex:
                pr.BecomeProbe();
                pr.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                pr.Inflights.FreeLE(m.Index);
                break;
        }

        if (MaybeCommit())
        {
            _commitBroadcastPending = true;
        }
        else if (wasPaused)
        {
            SendAppend(m.From, sendIfEmpty: true);
        }

        // Pipelining: fill the inflight window (bounded by it).
        for (var i = 0; i < _options.MaxInflightAppends && SendAppend(m.From, sendIfEmpty: false); i++)
        {
        }

        if (m.From == _transferee && pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(m.From);
        }
    }

    private void HandleHeartbeatResponse(Message m)
    {
        if (!_progress.TryGetValue(m.From, out var pr) || m.From == _id)
        {
            return; // not (or no longer) a member
        }

        pr.RecentActive = true;
        pr.ProbeSent = false;
        if (pr.State == ProgressState.Replicate && pr.Inflights.Full)
        {
            pr.Inflights.FreeFirstOne();
        }

        if (pr.Match < _log.LastIndex)
        {
            SendAppend(m.From, sendIfEmpty: true);
        }

        if (m.Context != 0)
        {
            AckReadRound(m.From, m.Context);
        }
    }

    /// <summary>
    /// Raft §5.4.2: the highest index a majority holds commits only when it is of the current term;
    /// earlier-term entries commit indirectly with it.
    /// </summary>
    private bool MaybeCommit()
    {
        Span<long> matches = _voters.Length <= 64 ? stackalloc long[_voters.Length] : new long[_voters.Length];
        for (var i = 0; i < _voters.Length; i++)
        {
            matches[i] = _progress[_voters[i]].Match;
        }

        matches.Sort();
        var candidate = matches[_voters.Length - _quorum];
        if (candidate <= _log.Committed || !_log.TryTerm(candidate, out var term) || term != _term)
        {
            return false;
        }

        var hadCommittedInTerm = CommittedInCurrentTerm;
        _log.CommitTo(candidate);
        if (!hadCommittedInTerm)
        {
            ReleaseWaitingReads();
        }

        return true;
    }

    private bool CommittedInCurrentTerm => _log.TryTerm(_log.Committed, out var term) && term == _term;
}
