namespace DistSync.Raft;

/// <summary>
/// A pure, deterministic Raft node in the style of etcd raft: no I/O, clock or threads. Feed it
/// <see cref="Tick"/>, <see cref="Step"/> and <see cref="Propose"/>; drain work with <see cref="GetReady"/>,
/// do it as <see cref="Ready"/> describes, then call <see cref="Advance"/>. Not thread-safe: one host loop owns it.
/// </summary>
/// <remarks>
/// Host loop: <c>while (node.HasReady()) { var r = node.GetReady(); persist(r.SnapshotToPersist, r.EntriesToPersist,
/// r.HardState); send(r.Messages); apply(r.SnapshotToPersist, r.CommittedEntries); answer(r.ReadStates); node.Advance(r); }</c>.
/// Send each peer's messages in order (one stream per peer): reordering is safe but costs pipelining.
/// On restart, restore the state machine from the saved snapshot and pass that snapshot, the entries after it
/// and the last hard state as <see cref="PersistedState"/>; committed entries after the snapshot are handed out again.
/// </remarks>
public sealed partial class RaftNode
{
    private readonly RaftOptions _options;
    private readonly Random _random;
    private readonly string _id;
    // From the applied configuration (see RaftNode.Membership.cs): voters, every other member (voters and learners,
    // whom a leader replicates to), and a majority of the voters.
    private string[] _voters = [];
    private string[] _peers = [];
    private int _quorum;
    private readonly RaftLog _log = new();
    private readonly Dictionary<string, Progress> _progress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _votes = new(StringComparer.Ordinal);

    private List<Message> _messages = [];
    private List<ReadState> _readStates = [];
    private long _term;
    private string? _vote;
    private string? _leader;
    private RaftRole _role;
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private string? _transferee;

    public RaftNode(RaftOptions options, PersistedState? restored, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _options = options;
        _random = random;
        _id = options.Id;
        var initial = new RaftConfiguration([.. options.Voters], [.. options.Learners]);
        var initialIndex = 0L;
        if (restored is not null)
        {
            _log.Restore(restored);
            if (restored.Snapshot is { Metadata.Voters.Count: > 0 } snapshot)
            {
                initial = snapshot.Metadata.Configuration;
                initialIndex = snapshot.Metadata.Index;
            }
        }

        // A vote may name a node since removed: votes are not checked against the configuration.
        RestoreConfiguration(initial, initialIndex);
        if (restored is not null)
        {
            var hardState = restored.HardState;
            _term = hardState.Term;
            _vote = hardState.VotedFor;
            _lastHardState = hardState;
        }
        else
        {
            _lastHardState = HardState.Initial;
        }

        BecomeFollower(_term, null);
        _lastSoftState = CurrentSoftState;
    }

    public string Id => _id;

    public RaftRole Role => _role;

    public long Term => _term;

    public string? LeaderId => _leader;

    /// <summary>For the simulator and tests: the log as the core holds it.</summary>
    internal RaftLog Log => _log;

    public RaftStatus Status
    {
        get
        {
            var progress = new Dictionary<string, PeerProgress>(StringComparer.Ordinal);
            if (_role == RaftRole.Leader)
            {
                foreach (var (peer, pr) in _progress)
                {
                    progress[peer] = new PeerProgress(pr.Match, pr.Next, pr.State, pr.RecentActive, pr.Inflights.Count,
                        _config.IsLearner(peer), Math.Max(0, _log.Committed - pr.Match));
                }
            }

            return new RaftStatus(_id, _role, _term, _leader, _vote, _log.Committed, _log.Applied, _log.LastIndex,
                _log.SnapshotIndex, _log.Count, _transferee, progress, _config);
        }
    }

    /// <summary>One logical tick: drives election timeouts, heartbeats and check-quorum.</summary>
    public void Tick()
    {
        if (_role == RaftRole.Leader)
        {
            TickLeader();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>Appends a command when this node leads. Entries are sent on the next <see cref="GetReady"/>, batched.</summary>
    public ProposeResult Propose(byte[] command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(_leader);
        }

        if (_transferee is not null)
        {
            return ProposeResult.TransferInProgress(_id);
        }

        if (command.Length > _options.MaxBytesPerAppend)
        {
            return ProposeResult.TooLarge();
        }

        if (_log.LastIndex - _log.Committed >= _options.MaxUncommittedEntries)
        {
            return ProposeResult.Overloaded(_id);
        }

        var entry = new Entry(_log.LastIndex + 1, _term, EntryType.Command, command);
        AppendAsLeader(entry);
        return ProposeResult.Accepted(entry.Index, entry.Term);
    }

    /// <summary>
    /// The host took a snapshot of its state machine at <paramref name="appliedIndex"/> (and saved it): it becomes the
    /// log's snapshot, with the configuration in effect at that index (<see cref="ConfigurationAt"/>), and older entries
    /// are dropped from memory. Ignored when not newer than the current snapshot.
    /// </summary>
    public void Compact(long appliedIndex, byte[] stateMachineSnapshot)
    {
        ArgumentNullException.ThrowIfNull(stateMachineSnapshot);
        if (appliedIndex <= _log.SnapshotIndex)
        {
            return;
        }

        if (appliedIndex > _log.Applied)
        {
            throw new ArgumentOutOfRangeException(nameof(appliedIndex), appliedIndex, $"Only applied entries can be compacted (applied is {_log.Applied}).");
        }

        if (!_log.TryTerm(appliedIndex, out var term))
        {
            throw new InvalidOperationException($"No term for applied index {appliedIndex}.");
        }

        var config = ConfigurationAt(appliedIndex);
        var snapshot = new Snapshot(new SnapshotMetadata(appliedIndex, term, config.Voters, config.Learners), stateMachineSnapshot);
        _log.Compact(appliedIndex, snapshot);
        TrimConfigHistory(appliedIndex);
    }

    /// <summary>Handles a message from a peer.</summary>
    public void Step(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        // Messages from nodes outside our configuration are taken: a node whose configuration lags must still follow a
        // leader it does not know yet, and vote for it (etcd raft does the same). Responses from non-members are dropped
        // by the leader; a removed node's campaigns are held off by the leader lease in StepTerm (thesis §4.2.3).
        if (message.To != _id || message.From == _id || string.IsNullOrEmpty(message.From))
        {
            return;
        }

        // Term-less requests: they are answered whatever the term (etcd sends MsgReadIndex with term 0 too).
        switch (message.Type)
        {
            case MessageType.ReadIndex:
                HandleReadIndexRequest(message);
                return;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(message.Context, message.Index, message.Reject));
                return;
            case MessageType.TransferLeader:
                if (_role == RaftRole.Leader)
                {
                    StartTransfer(message.From);
                }

                return;
        }

        if (!StepTerm(message))
        {
            return;
        }

        switch (message.Type)
        {
            case MessageType.PreVote:
            case MessageType.Vote:
                HandleVoteRequest(message);
                return;
        }

        switch (_role)
        {
            case RaftRole.Leader:
                StepLeader(message);
                break;
            case RaftRole.Candidate:
            case RaftRole.PreCandidate:
                StepCandidate(message);
                break;
            default:
                StepFollower(message);
                break;
        }
    }

    /// <summary>Raft §5.1: compares terms; returns false when the message must go no further.</summary>
    private bool StepTerm(Message m)
    {
        if (m.Term > _term)
        {
            if (m.Type is MessageType.Vote or MessageType.PreVote)
            {
                // Leader lease (check-quorum): while we heard from a leader recently, a (pre)vote is disruptive.
                var inLease = _options.CheckQuorum && _leader is not null && _electionElapsed < _options.ElectionTicks;
                if (inLease && m.Context != Message.TransferContext)
                {
                    return false;
                }
            }

            if (m.Type == MessageType.PreVote || (m.Type == MessageType.PreVoteResponse && !m.Reject))
            {
                // A pre-vote asks about a future term; granting or receiving one changes nothing yet (thesis §9.6).
                return true;
            }

            var leader = m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.InstallSnapshot ? m.From : null;
            BecomeFollower(m.Term, leader);
            return true;
        }

        if (m.Term < _term)
        {
            if ((_options.CheckQuorum || _options.PreVote) && m.Type is MessageType.Append or MessageType.Heartbeat)
            {
                // A stale leader (e.g. back from a partition) learns the newer term and steps down.
                Send(new Message { Type = MessageType.AppendResponse, To = m.From, Term = _term, From = _id });
            }
            else if (m.Type == MessageType.PreVote)
            {
                Send(new Message { Type = MessageType.PreVoteResponse, To = m.From, Term = _term, From = _id, Reject = true });
            }

            return false;
        }

        return true;
    }

    private void StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                _electionElapsed = 0;
                _leader = m.From;
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                _electionElapsed = 0;
                _leader = m.From;
                HandleHeartbeat(m);
                break;
            case MessageType.InstallSnapshot:
                _electionElapsed = 0;
                _leader = m.From;
                HandleSnapshot(m);
                break;
            case MessageType.TimeoutNow when Promotable:
                // Thesis §3.10: the leader says we are caught up; campaign at once, skipping pre-vote. A learner never does.
                Campaign(CampaignKind.Transfer);
                break;
        }
    }

    private void StepCandidate(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                BecomeFollower(_term, m.From);
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(_term, m.From);
                HandleHeartbeat(m);
                break;
            case MessageType.InstallSnapshot:
                BecomeFollower(_term, m.From);
                HandleSnapshot(m);
                break;
            case MessageType.PreVoteResponse when _role == RaftRole.PreCandidate:
            case MessageType.VoteResponse when _role == RaftRole.Candidate:
                HandleVoteResponse(m);
                break;
        }
    }

    private void StepLeader(Message m)
    {
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                HandleAppendResponse(m);
                break;
            case MessageType.HeartbeatResponse:
                HandleHeartbeatResponse(m);
                break;
            case MessageType.Append:
            case MessageType.Heartbeat:
            case MessageType.InstallSnapshot:
                throw new InvalidOperationException($"Two leaders in term {_term}: {_id} and {m.From} (Raft §5.2 election safety).");
        }
    }

    private void Send(Message message) => _messages.Add(message);
}
