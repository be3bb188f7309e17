namespace DistSync.Raft;

/// <summary>
/// ReadIndex linearizable reads (Raft thesis §6.4): the leader records its commit index, confirms it still
/// leads with a heartbeat round, and answers once a majority acknowledged that round.
/// </summary>
public sealed partial class RaftNode
{
    private readonly List<ReadRound> _readRounds = [];
    private readonly List<ReadRequest> _waitingReads = [];
    private long _readSequence;
    private int _pendingReadCount;

    /// <summary>A read by this host (<see cref="Origin"/> null) or one forwarded by a follower.</summary>
    private readonly record struct ReadRequest(string? Origin, long RequestId);

    private sealed class ReadRound(long context, long index)
    {
        public long Context { get; } = context;
        public long Index { get; } = index;

        // Who acknowledged the round; counted against the voters when checked, as the configuration may change meanwhile.
        public HashSet<string> Acks { get; } = new(StringComparer.Ordinal);

        // Still collecting requests: its heartbeats have not left in a Ready yet.
        public bool Open { get; set; } = true;
        public List<ReadRequest> Requests { get; } = [];
    }

    /// <summary>
    /// Asks for a linearizable read index. The answer appears in a later <see cref="Ready.ReadStates"/> with this
    /// <paramref name="requestId"/>; a failed one when it cannot be served (no leader known, leadership lost, overload).
    /// On a follower the request is forwarded to the leader; a lost forward is not reported, so the host needs a timeout.
    /// </summary>
    public void ReadIndex(long requestId)
    {
        if (_role == RaftRole.Leader)
        {
            LeaderRead(new ReadRequest(null, requestId));
            return;
        }

        if (_leader is null)
        {
            _readStates.Add(new ReadState(requestId, 0, Failed: true));
            return;
        }

        Send(new Message { Type = MessageType.ReadIndex, From = _id, To = _leader, Context = requestId });
    }

    private void HandleReadIndexRequest(Message m)
    {
        if (_role != RaftRole.Leader)
        {
            Send(new Message { Type = MessageType.ReadIndexResponse, From = _id, To = m.From, Context = m.Context, Reject = true });
            return;
        }

        LeaderRead(new ReadRequest(m.From, m.Context));
    }

    private void LeaderRead(ReadRequest request)
    {
        if (_pendingReadCount >= _options.MaxPendingReads)
        {
            AnswerRead(request, 0, failed: true);
            return;
        }

        _pendingReadCount++;
        if (!CommittedInCurrentTerm)
        {
            // Our commit index may be stale until our own empty entry commits (thesis §6.4 step 1). A lone voter too:
            // restarted, it knows only the commit index on disk, which may lag entries it committed and answered.
            _waitingReads.Add(request);
            return;
        }

        AddToReadRound(request);
    }

    private void AddToReadRound(ReadRequest request)
    {
        if (_voters.Length == 1)
        {
            // Its own vote is the quorum: no heartbeat round can tell it more.
            _pendingReadCount--;
            AnswerRead(request, _log.Committed, failed: false);
            return;
        }

        if (_readRounds.Count > 0 && _readRounds[^1] is { Open: true } open && open.Index == _log.Committed)
        {
            // Same commit index and heartbeats not yet sent: one round confirms both reads.
            open.Requests.Add(request);
            return;
        }

        var round = new ReadRound(++_readSequence, _log.Committed);
        round.Acks.Add(_id);
        round.Requests.Add(request);
        _readRounds.Add(round);
        BroadcastHeartbeat(round.Context);
    }

    private void ReleaseWaitingReads()
    {
        foreach (var request in _waitingReads)
        {
            AddToReadRound(request);
        }

        _waitingReads.Clear();
    }

    private void AckReadRound(string from, long context)
    {
        var found = -1;
        for (var i = _readRounds.Count - 1; i >= 0; i--)
        {
            if (_readRounds[i].Context == context)
            {
                found = i;
                break;
            }
        }

        if (found < 0)
        {
            return;
        }

        var round = _readRounds[found];
        round.Acks.Add(from);
        if (round.Acks.Count(_config.IsVoter) < _quorum)
        {
            // Learners' acks do not count toward the ReadIndex quorum.
            return;
        }

        // A majority confirmed us as leader after every earlier round started: those are answered too.
        for (var i = 0; i <= found; i++)
        {
            var done = _readRounds[i];
            foreach (var request in done.Requests)
            {
                _pendingReadCount--;
                AnswerRead(request, done.Index, failed: false);
            }
        }

        _readRounds.RemoveRange(0, found + 1);
    }

    private long LastPendingReadContext() => _readRounds.Count == 0 ? 0 : _readRounds[^1].Context;

    private void FailPendingReads()
    {
        foreach (var round in _readRounds)
        {
            foreach (var request in round.Requests)
            {
                AnswerRead(request, 0, failed: true);
            }
        }

        foreach (var request in _waitingReads)
        {
            AnswerRead(request, 0, failed: true);
        }

        _readRounds.Clear();
        _waitingReads.Clear();
        _pendingReadCount = 0;
    }

    private void CloseReadRounds()
    {
        if (_readRounds.Count > 0)
        {
            _readRounds[^1].Open = false;
        }
    }

    private void AnswerRead(ReadRequest request, long index, bool failed)
    {
        if (request.Origin is null)
        {
            _readStates.Add(new ReadState(request.RequestId, index, failed));
        }
        else
        {
            Send(new Message
            {
                Type = MessageType.ReadIndexResponse,
                From = _id,
                To = request.Origin,
                Index = index,
                Context = request.RequestId,
                Reject = failed,
            });
        }
    }
}
