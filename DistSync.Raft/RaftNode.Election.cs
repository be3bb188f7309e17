namespace DistSync.Raft;

/// <summary>Roles, elections, pre-vote and check-quorum (Raft §5.2, thesis §9.6, §6.2).</summary>
public sealed partial class RaftNode
{
    private enum CampaignKind
    {
        PreElection,
        Election,
        Transfer,
    }

    /// <summary>Starts an election now, as if the election timeout fired (tests and host bootstrap).</summary>
    internal void CampaignNow()
    {
        if (_role != RaftRole.Leader && Promotable)
        {
            Campaign(_options.PreVote ? CampaignKind.PreElection : CampaignKind.Election);
        }
    }

    private void TickElection()
    {
        _electionElapsed++;
        if (_electionElapsed >= _randomizedElectionTimeout && !Promotable)
        {
            // A learner (or a removed node) never campaigns (thesis §4.2.1). The count stays past the timeout, so the
            // leader lease it keeps for vote requests (StepTerm) lapses as for a voter, and stops there.
            _electionElapsed = _randomizedElectionTimeout;
        }
        else if (_electionElapsed >= _randomizedElectionTimeout)
        {
            _electionElapsed = 0;
            Campaign(_options.PreVote ? CampaignKind.PreElection : CampaignKind.Election);
        }
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _options.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_options.CheckQuorum && !CheckQuorumActive())
            {
                BecomeFollower(_term, null);
                return;
            }

            // Thesis §3.10: a transfer that did not finish within an election timeout is abandoned.
            _transferee = null;
        }

        TickSnapshotRetries();
        if (_heartbeatElapsed >= _options.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat(LastPendingReadContext());
        }
    }

    /// <summary>Check-quorum: did a majority (self included) talk to us since the last check? Resets the marks.</summary>
    private bool CheckQuorumActive()
    {
        var active = 0;
        foreach (var voter in _voters)
        {
            var pr = _progress[voter];
            if (voter == _id || pr.RecentActive)
            {
                active++;
            }

            if (voter != _id)
            {
                pr.RecentActive = false;
            }
        }

        return active >= _quorum;
    }

    private void Campaign(CampaignKind kind)
    {
        MessageType voteType;
        long term;
        if (kind == CampaignKind.PreElection)
        {
            BecomePreCandidate();
            voteType = MessageType.PreVote;
            term = _term + 1;
        }
        else
        {
            BecomeCandidate();
            voteType = MessageType.Vote;
            term = _term;
        }

        if (Poll(_id, granted: true) == VoteResult.Won)
        {
            WinVote();
            return;
        }

        var context = kind == CampaignKind.Transfer ? Message.TransferContext : 0;
        foreach (var peer in _voters)
        {
            if (peer == _id)
            {
                continue;
            }

            Send(new Message
            {
                Type = voteType,
                From = _id,
                To = peer,
                Term = term,
                Index = _log.LastIndex,
                LogTerm = _log.LastTerm,
                Context = context,
            });
        }
    }

    private void WinVote()
    {
        if (_role == RaftRole.PreCandidate)
        {
            Campaign(CampaignKind.Election);
        }
        else
        {
            BecomeLeader();
        }
    }

    /// <summary>Raft §5.2 and §5.4.1: one vote per term, only for a candidate whose log is at least as up to date.</summary>
    private void HandleVoteRequest(Message m)
    {
        var responseType = m.Type == MessageType.Vote ? MessageType.VoteResponse : MessageType.PreVoteResponse;
        var canVote = _vote == m.From
            || (_vote is null && _leader is null)
            || (m.Type == MessageType.PreVote && m.Term > _term);
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // For a pre-vote the answer carries the asked-for term, so the pre-candidate counts it.
            Send(new Message { Type = responseType, From = _id, To = m.From, Term = m.Term });
            if (m.Type == MessageType.Vote)
            {
                _electionElapsed = 0;
                _vote = m.From;
            }
        }
        else
        {
            Send(new Message { Type = responseType, From = _id, To = m.From, Term = _term, Reject = true });
        }
    }

    private void HandleVoteResponse(Message m)
    {
        switch (Poll(m.From, !m.Reject))
        {
            case VoteResult.Won:
                WinVote();
                break;
            case VoteResult.Lost:
                BecomeFollower(_term, null);
                break;
        }
    }

    private enum VoteResult
    {
        Pending,
        Won,
        Lost,
    }

    private VoteResult Poll(string voter, bool granted)
    {
        _votes.TryAdd(voter, granted);
        var yes = 0;
        var no = 0;
        foreach (var (from, vote) in _votes)
        {
            if (!_config.IsVoter(from))
            {
                continue; // a learner, or a node our configuration does not know: its vote does not count
            }

            if (vote)
            {
                yes++;
            }
            else
            {
                no++;
            }
        }

        return yes >= _quorum ? VoteResult.Won : no >= _quorum ? VoteResult.Lost : VoteResult.Pending;
    }

    private void Reset(long term)
    {
        if (term != _term)
        {
            if (term < _term)
            {
                throw new InvalidOperationException($"Term would go back from {_term} to {term}.");
            }

            _term = term;
            _vote = null;
        }

        if (_role == RaftRole.Leader)
        {
            FailPendingReads();
        }

        _leader = null;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        _randomizedElectionTimeout = _options.ElectionTicks + _random.Next(_options.ElectionTicks);
        _votes.Clear();
        _transferee = null;
        _commitBroadcastPending = false;
        _appendBroadcastPending = false;
    }

    private void BecomeFollower(long term, string? leader)
    {
        Reset(term);
        _role = RaftRole.Follower;
        _leader = leader;
    }

    private void BecomePreCandidate()
    {
        if (_role == RaftRole.Leader)
        {
            throw new InvalidOperationException("A leader cannot become a pre-candidate.");
        }

        // Unlike Reset, keep term and vote: nothing changes unless a majority would vote for us.
        _votes.Clear();
        _leader = null;
        _role = RaftRole.PreCandidate;
    }

    private void BecomeCandidate()
    {
        if (_role == RaftRole.Leader)
        {
            throw new InvalidOperationException("A leader cannot become a candidate.");
        }

        Reset(_term + 1);
        _vote = _id;
        _role = RaftRole.Candidate;
    }

    private void BecomeLeader()
    {
        if (_role != RaftRole.Candidate)
        {
            throw new InvalidOperationException($"Only a candidate becomes leader (role was {_role}).");
        }

        Reset(_term);
        _role = RaftRole.Leader;
        _leader = _id;
        var last = _log.LastIndex;
        foreach (var (voter, pr) in _progress)
        {
            pr.Reset(voter == _id ? Math.Min(last, _log.Stable) : 0, last + 1);
        }

        var self = _progress[_id];
        self.BecomeReplicate();
        self.RecentActive = true;

        // Raft §5.4.2 / thesis §6.4: an empty entry of the new term lets earlier entries commit and ReadIndex start.
        AppendAsLeader(Entry.EmptyAt(last + 1, _term));
    }
}
