using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using DistSync.Node.Hosting;
using DistSync.Raft;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Consensus;

/// <summary>
/// Drives one <see cref="RaftNode"/>: a single loop takes inputs (peer messages, proposals, reads,
/// ticks), then for each Ready hands its writes to the <see cref="RaftWalWriter"/> (which fsyncs and then sends what
/// had to wait), sends what need not wait, applies to the state machines and advances.
/// Callers on any thread use <see cref="ProposeAsync"/> and <see cref="ReadBarrierAsync"/>.
/// </summary>
public sealed partial class RaftHost : BackgroundService, INodeStatus
{
    private readonly NodeOptions _node;
    private readonly RaftHostOptions _options;
    private readonly PeerDirectory _peers;
    private readonly ClusterFounding _founding;
    private readonly ClusterAdmission _admission;
    private readonly IRaftTransport _transport;
    private readonly Dictionary<byte, IReplicatedStateMachine> _machines;
    private readonly RaftTelemetry _telemetry;
    private readonly ILogger<RaftHost> _logger;
    private readonly Channel<LoopInput> _inputs;
    private readonly ConcurrentDictionary<long, PendingProposal> _proposals = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _reads = new();
    private readonly ConcurrentDictionary<long, ForwardedProposal> _forwards = new();
    // Proposal and read ids count up from a random base drawn per process: a leader may still hold a forward or a
    // read index asked by this node's previous incarnation, and its late answer must match nothing asked now.
    private readonly long _idBase = RandomNumberGenerator.GetInt32(1, int.MaxValue) * (1L << 32);
    private long _nextProposalId;
    private long _nextReadId;
    private int _pendingTicks;
    private volatile RaftStatus? _status;
    private TaskCompletionSource _leaderKnown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RaftHost(
        IOptions<NodeOptions> node,
        IOptions<RaftHostOptions> options,
        PeerDirectory peers,
        ClusterFounding founding,
        ClusterAdmission admission,
        IRaftTransport transport,
        IEnumerable<IReplicatedStateMachine> machines,
        RaftTelemetry telemetry,
        ILogger<RaftHost> logger)
    {
        _node = node.Value;
        _options = options.Value;
        _peers = peers;
        _founding = founding;
        _admission = admission;
        _transport = transport;
        _machines = machines.ToDictionary(m => m.Tag);
        _telemetry = telemetry;
        _logger = logger;
        _inputs = Channel.CreateBounded<LoopInput>(new BoundedChannelOptions(_options.MaxQueuedInputs)
        {
            SingleReader = true,
            // Wait mode: TryWrite answers false when full (DropWrite would say true and drop it silently).
            FullMode = BoundedChannelFullMode.Wait,
        });
        telemetry.Bind(() => _status);
        transport.PeerUnreachable += OnPeerUnreachable;
        transport.Undelivered += OnUndelivered;
        transport.SnapshotSent += report => _inputs.Writer.TryWrite(new LoopInput.SnapshotStatus(report)); // lost when full: the core resends on its timer
    }

    public string NodeId => _node.NodeId;

    /// <summary>The node's Raft state as of the loop's last turn (null before the log is loaded).</summary>
    public RaftStatus? Status => _status;

    public string Role => _status?.Role switch
    {
        RaftRole.Leader => "leader",
        RaftRole.Candidate or RaftRole.PreCandidate => "candidate",
        _ => "follower",
    };

    public long Term => _status?.Term ?? 0;

    public string? LeaderId => _status?.LeaderId;

    /// <summary>
    /// Appends <paramref name="command"/> for <paramref name="machine"/> and returns what the machine's <c>Apply</c>
    /// returned on this node, once the entry is committed and applied here. A follower forwards the command to the
    /// leader. Throws <see cref="RaftUnavailableException"/> when there is no leader to take it, or when it did not
    /// commit within <see cref="RaftHostOptions.ProposalTimeout"/> (outcome unknown).
    /// </summary>
    public async Task<TResult> ProposeAsync<TCommand, TResult>(IReplicatedStateMachine<TCommand, TResult> machine, TCommand command,
        CancellationToken cancellationToken) =>
        // The one cast: the entry was applied by this very machine (its tag), whose Apply returns a TResult.
        (TResult)(await ProposeEncodedAsync(machine, machine.Encode(command), cancellationToken))!;

    private async Task<object?> ProposeEncodedAsync(IReplicatedStateMachine machine, byte[] command, CancellationToken cancellationToken)
    {
        var tag = machine.Tag;
        if (!_machines.TryGetValue(tag, out var registered) || !ReferenceEquals(registered, machine))
        {
            throw new ArgumentException($"The state machine with tag {tag} is not the one this host applies.", nameof(machine));
        }

        using var activity = _telemetry.StartPropose(tag);
        var id = _idBase + Interlocked.Increment(ref _nextProposalId);
        var envelope = CommandEnvelope.Encode(tag, id, command);
        var pending = new PendingProposal(Stopwatch.GetTimestamp());
        _proposals[id] = pending;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ProposalTimeout);
        try
        {
            await SubmitAsync(id, envelope, pending, timeout.Token);
            return await pending.Applied.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw pending.MayBeAppended
                ? new RaftUnavailableException(
                    $"The command was not applied within {_options.ProposalTimeout.TotalSeconds:F1} s; it may still commit.", LeaderId, mayHaveBeenApplied: true)
                : new RaftUnavailableException(
                    $"No leader took the command within {_options.ProposalTimeout.TotalSeconds:F1} s; it was not appended.", LeaderId);
        }
        finally
        {
            _proposals.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Returns once this node's state machines reflect every write committed before the call (ReadIndex,
    /// Raft thesis §6.4): a read of local state after it is linearizable.
    /// </summary>
    public async Task ReadBarrierAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var id = _idBase + Interlocked.Increment(ref _nextReadId);
            var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _reads[id] = read;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ProposalTimeout);
            try
            {
                Enqueue(new LoopInput.Read(id));
                await read.Task.WaitAsync(timeout.Token);
                return;
            }
            catch (RaftUnavailableException) when (attempt < 20)
            {
                // No leader yet, or leadership just moved: wait for one (below) and ask again.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RaftUnavailableException("No leader confirmed a read index in time.", LeaderId);
            }
            finally
            {
                _reads.TryRemove(id, out _);
            }

            try
            {
                await WaitForLeaderAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RaftUnavailableException("No leader confirmed a read index in time.", LeaderId);
            }
        }
    }

    /// <summary>Asks the leader to hand leadership to <paramref name="target"/> (Raft thesis §3.10).</summary>
    public void TransferLeadership(string target)
    {
        if (!Voters.Contains(target))
        {
            throw new ArgumentException($"'{target}' is not a member of the cluster.", nameof(target));
        }

        Enqueue(new LoopInput.Transfer(target));
    }

    /// <summary>
    /// Messages from a peer (the transport's receiving side). When the loop's queue is full, Raft messages are
    /// dropped (Raft resends what matters) and a forwarded command is refused at once as overloaded: it never
    /// reached the loop, so its proposer may safely retry. Returns false if anything was dropped.
    /// </summary>
    public bool Receive(IReadOnlyList<Message> messages)
    {
        var all = true;
        foreach (var message in messages)
        {
            if (message.Type == MessageType.ForwardAnswer)
            {
                // Nothing for the loop to do: hand the answer straight to the waiting proposer.
                AnswerForward(message);
            }
            else if (!_inputs.Writer.TryWrite(new LoopInput.Step(message)))
            {
                all = false;
                if (message.Type == MessageType.Forward)
                {
                    _transport.Send([ForwardAnswerFor(message, ProposeResult.Overloaded(NodeId))]);
                }
            }
        }

        return all;
    }

    private async Task SubmitAsync(long id, byte[] envelope, PendingProposal pending, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var answer = new TaskCompletionSource<ProposeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            Enqueue(new LoopInput.Propose(envelope, answer));
            var result = await answer.Task.WaitAsync(cancellationToken);
            if (result.Status == ProposeStatus.NotLeader && result.LeaderHint is { } leader && leader != NodeId)
            {
                // From here until a definite "not appended" comes back, the leader may have it.
                pending.MayBeAppended = true;
                result = await ForwardAsync(leader, id, envelope, cancellationToken);
            }

            pending.MayBeAppended = result.Status == ProposeStatus.Accepted;
            switch (result.Status)
            {
                case ProposeStatus.Accepted:
                    return;
                case ProposeStatus.TooLarge:
                    throw new ArgumentException("The command is larger than a Raft append may carry.");
                case ProposeStatus.Overloaded:
                    throw new RaftUnavailableException("The leader has too many uncommitted commands; retry shortly.", result.LeaderHint);
                default:
                    await WaitForLeaderAsync(cancellationToken);
                    break;
            }
        }

        throw new RaftUnavailableException("No leader accepted the command.", LeaderId);
    }

    /// <summary>
    /// Hands the command to the leader over the peer stream and waits for its answer. Only a definite "not
    /// appended" (dropped unsent, or "not the leader") comes back for the caller to retry, so a command is never
    /// appended twice; a stream that broke after sending it fails the proposal as "outcome unknown".
    /// </summary>
    private async Task<ProposeResult> ForwardAsync(string leader, long id, byte[] envelope, CancellationToken cancellationToken)
    {
        var forward = new ForwardedProposal(leader);
        _forwards[id] = forward;
        try
        {
            _transport.Send([new Message
            {
                Type = MessageType.Forward,
                From = NodeId,
                To = leader,
                Context = id,
                // The index only satisfies the codec's rule for entries (from 1): the leader picks the real one.
                Entries = [new Entry(1, 0, EntryType.Command, envelope)],
            }]);
            return await forward.Answer.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _forwards.TryRemove(id, out _);
        }
    }

    /// <summary>The leader's side of <see cref="ForwardAsync"/>, on the loop: append each command and answer.</summary>
    private void AcceptForwarded(RaftNode raft, Message forward)
    {
        if (forward.Entries.Count != 1 || forward.Entries[0].Data.Length < CommandEnvelope.HeaderBytes)
        {
            LogMalformedForward(forward.From);
            return;
        }

        _transport.Send([ForwardAnswerFor(forward, raft.Propose(StampIfLeader(raft, forward.Entries[0].Data)))]);
    }

    private Message ForwardAnswerFor(Message forward, ProposeResult result) => new()
    {
        Type = MessageType.ForwardAnswer,
        From = NodeId,
        To = forward.From,
        Context = forward.Context,
        Term = result.Term,
        Index = result.Index,
        Reject = !result.IsAccepted,
        RejectHint = (long)result.Status,
    };

    private void AnswerForward(Message answer)
    {
        if (!_forwards.TryGetValue(answer.Context, out var forward) || forward.Leader != answer.From)
        {
            return; // the proposer gave up already
        }

        var status = (ProposeStatus)answer.RejectHint;
        forward.Answer.TrySetResult(!answer.Reject ? ProposeResult.Accepted(answer.Index, answer.Term)
            : status is ProposeStatus.TooLarge or ProposeStatus.Overloaded ? new ProposeResult(status, 0, 0, answer.From)
            : ProposeResult.NotLeader(null));
    }

    /// <summary>The transport dropped a forwarded command before writing it: certainly not appended.</summary>
    private void OnUndelivered(Message message)
    {
        // Only for the attempt it belongs to: a retry to another leader reuses the id.
        if (_forwards.TryGetValue(message.Context, out var forward) && forward.Leader == message.To)
        {
            forward.Answer.TrySetResult(ProposeResult.NotLeader(null));
        }
    }

    /// <summary>
    /// The stream to <paramref name="peer"/> broke: commands sent on it may or may not have arrived. The transport
    /// raises this before it drops what was still queued, so every command failed here was either sent on the
    /// broken stream or is dropped unsent right after; none is sent later on a new stream.
    /// </summary>
    private void OnPeerUnreachable(string peer)
    {
        _inputs.Writer.TryWrite(new LoopInput.Unreachable(peer));
        FailForwardsTo(peer, $"The connection to leader {peer} broke after the command was sent; it may or may not be applied.");
    }

    /// <summary>Leadership moved on: the old leader will answer nothing more, and may or may not have appended.</summary>
    private void FailForwardsTo(string leader, string reason)
    {
        foreach (var forward in _forwards.Values)
        {
            if (forward.Leader == leader)
            {
                forward.Answer.TrySetException(new RaftUnavailableException(reason, leader, mayHaveBeenApplied: true));
            }
        }
    }

    private async Task WaitForLeaderAsync(CancellationToken cancellationToken)
    {
        // Whichever comes first: a (new) leader is known, or one election timeout passes.
        var known = _leaderKnown.Task;
        await Task.WhenAny(known, Task.Delay(_options.TickInterval * _options.ElectionTicks, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void Enqueue(LoopInput input)
    {
        if (!_inputs.Writer.TryWrite(input))
        {
            throw new RaftUnavailableException("The node is overloaded: too many queued requests.", LeaderId);
        }
    }

    /// <summary>A command handed to <see cref="Leader"/>, waiting for its answer.</summary>
    private sealed class ForwardedProposal(string leader)
    {
        public string Leader { get; } = leader;

        public TaskCompletionSource<ProposeResult> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class PendingProposal(long startedAt)
    {
        public long StartedAt { get; } = startedAt;

        public TaskCompletionSource<object?> Applied { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Appended, or handed to a leader that has not said otherwise: the outcome is unknown until applied.</summary>
        public volatile bool MayBeAppended;
    }

    /// <summary>What the loop takes in.</summary>
    private abstract record LoopInput
    {
        public sealed record Step(Message Message) : LoopInput;

        public sealed record Propose(byte[] Envelope, TaskCompletionSource<ProposeResult> Answer) : LoopInput;

        public sealed record Read(long Id) : LoopInput;

        public sealed record Transfer(string Target) : LoopInput;

        public sealed record ChangeConfig(ConfigChange Change, TaskCompletionSource<ProposeResult> Answer, ConfigWaiter Waiter) : LoopInput;

        public sealed record Unreachable(string Peer) : LoopInput;

        public sealed record SnapshotStatus(SnapshotReport Report) : LoopInput;

        public sealed record Wake : LoopInput;

        public sealed record TakeSnapshot(TaskCompletionSource<(SnapshotMetadata Metadata, List<(byte Tag, byte[] Data)> Parts)> Answer) : LoopInput;
    }
}
