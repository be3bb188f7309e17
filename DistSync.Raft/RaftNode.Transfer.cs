namespace DistSync.Raft;

/// <summary>Leadership transfer (Raft thesis §3.10): catch the target up, then tell it to campaign at once.</summary>
public sealed partial class RaftNode
{
    /// <summary>
    /// Starts handing leadership to <paramref name="target"/> (thesis §3.10). On a follower, asking for itself,
    /// the request goes to the leader. Returns false when nothing was started.
    /// </summary>
    public bool TransferLeadership(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_role != RaftRole.Leader)
        {
            if (target != _id || _leader is null)
            {
                return false;
            }

            Send(new Message { Type = MessageType.TransferLeader, From = _id, To = _leader });
            return true;
        }

        return StartTransfer(target);
    }

    private bool StartTransfer(string target)
    {
        // A learner cannot lead: only a voter is a transfer target (etcd raft refuses learners too).
        if (target == _id || !_config.IsVoter(target) || !_progress.TryGetValue(target, out var pr))
        {
            return false;
        }

        if (_transferee == target)
        {
            return true;
        }

        _transferee = target;
        _electionElapsed = 0;
        if (pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(target);
        }
        else
        {
            SendAppend(target, sendIfEmpty: true);
        }

        return true;
    }

    private void SendTimeoutNow(string to) =>
        Send(new Message { Type = MessageType.TimeoutNow, From = _id, To = to, Term = _term });
}
