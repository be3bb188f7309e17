using System.Diagnostics;
using DistSync.Node.Storage;
using DistSync.Raft;

namespace DistSync.Node.Consensus;

public sealed partial class RaftHost
{
    private const int MaxInputsPerTurn = 8_192;
    private const int MaxTicksPerTurn = 10;

    private readonly PriorityQueue<long, long> _waitingReads = new();
    private readonly Lock _durableGate = new();
    private (long Index, long Term) _durable;
    private (long Index, long Term) _durableMarked;
    private SoftState _soft;
    private HardState _persisted;
    private long _appliedIndex;
    private long _appliedTerm;
    private long _snapshotIndex;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let start-up continue; the loop runs on its own from here
        if (!_founding.Settled)
        {
            // An empty data folder in a cluster that exists (or may): learn how this node enters before it opens a log.
            try
            {
                await _admission.SettleAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }

        using var storage = new RaftStorage(Path.Combine(_node.ResolveDataDir(), "raft"), new RaftStorageOptions { SyncToDisk = _options.SyncToDisk });
        var raft = Open(storage);
        using var writer = new RaftWalWriter(storage, _transport, _telemetry, OnDurable,
            ex =>
            {
                LogLoopFailed(ex);
                Environment.FailFast($"Raft log write failed: {ex.Message}", ex);
            });
        using var ticker = new PeriodicTimer(_options.TickInterval);
        var ticks = TickAsync(ticker, stoppingToken);
        try
        {
            while (await _inputs.Reader.WaitToReadAsync(stoppingToken))
            {
                Turn(raft, storage, writer);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            // Disk failure or a broken invariant: this node can no longer keep its promises. Stop the
            // process rather than serve from a state that may be wrong; the AppHost restarts it from disk.
            LogLoopFailed(ex);
            Environment.FailFast($"Raft loop failed: {ex.Message}", ex);
        }

        await ticks;
        await _snapshotSave; // the storage and the writer it uses are disposed next
    }

    private RaftNode Open(RaftStorage storage)
    {
        var loaded = storage.Load();
        if (loaded.Recovery.Repaired)
        {
            LogRecovered(loaded.Recovery.TruncatedBytes, loaded.Recovery.TruncatedFile ?? "-", string.Join("; ", loaded.Recovery.Notes));
        }

        // Every machine starts from the snapshot's state, or its initial one (which depends on the cluster's founders).
        RestoreMachines(loaded.Snapshot?.Data ?? []);
        if (loaded.Snapshot is { } snapshot)
        {
            _loggedStamps.Restored(snapshot.Metadata.Index);
            _appliedIndex = _snapshotIndex = snapshot.Metadata.Index;
            _appliedTerm = snapshot.Metadata.Term;
        }

        NoteLogged(loaded.Entries);
        _persisted = loaded.HardState;
        // A joiner starts as a learner of its own, not counted anywhere, until the log or a snapshot tells it the configuration.
        var options = new RaftOptions
        {
            Id = NodeId,
            Voters = _founding.Joined ? [] : _founding.Founders,
            Learners = _founding.Joined ? [NodeId] : [],
            ElectionTicks = _options.ElectionTicks,
            HeartbeatTicks = _options.HeartbeatTicks,
        };
        var raft = new RaftNode(options, new PersistedState(loaded.HardState, loaded.Snapshot, loaded.Entries), new Random());
        LogOpened(loaded.Entries.Count, loaded.Snapshot?.Metadata.Index ?? 0, loaded.HardState.Term, loaded.HardState.Commit);
        _soft = new SoftState(raft.Role, raft.LeaderId, raft.Term);
        _status = raft.Status;
        return raft;
    }

    /// <summary>Called by the WAL writer after each write: remember how far the log is durable and wake the loop.</summary>
    private void OnDurable(long index, long term)
    {
        lock (_durableGate)
        {
            _durable = (index, term);
        }

        _inputs.Writer.TryWrite(new LoopInput.Wake());
    }

    private async Task TickAsync(PeriodicTimer ticker, CancellationToken stoppingToken)
    {
        try
        {
            while (await ticker.WaitForNextTickAsync(stoppingToken))
            {
                Interlocked.Increment(ref _pendingTicks);
                _inputs.Writer.TryWrite(new LoopInput.Wake());
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>One turn: take what is queued, note what the writer made durable, then for each Ready hand its
    /// writes to the WAL writer → send → apply → advance, until nothing is ready.</summary>
    private void Turn(RaftNode raft, RaftStorage storage, RaftWalWriter writer)
    {
        for (var taken = 0; taken < MaxInputsPerTurn && _inputs.Reader.TryRead(out var input); taken++)
        {
            Handle(raft, input);
        }

        // What the WAL writer made durable: a field, not a queued input, so a full queue cannot lose it.
        (long Index, long Term) durable;
        lock (_durableGate)
        {
            durable = _durable;
        }

        if (durable != _durableMarked)
        {
            raft.MarkPersisted(durable.Index, durable.Term);
            _durableMarked = durable;
        }

        FinishSnapshotIfSaved(raft);

        var ticks = Math.Min(MaxTicksPerTurn, Interlocked.Exchange(ref _pendingTicks, 0));
        for (var i = 0; i < ticks; i++)
        {
            raft.Tick();
        }

        while (raft.HasReady())
        {
            var ready = raft.GetReady();
            Process(writer, ready);
            raft.Advance(ready, persisted: false);
            CompactIfDue(raft, storage, writer);
        }

        _status = raft.Status;
    }

    private void Handle(RaftNode raft, LoopInput input)
    {
        switch (input)
        {
            case LoopInput.Step { Message.Type: MessageType.Forward } forward:
                AcceptForwarded(raft, forward.Message);
                break;
            case LoopInput.Step step:
                raft.Step(step.Message);
                break;
            case LoopInput.Propose propose:
                propose.Answer.TrySetResult(raft.Propose(StampIfLeader(raft, propose.Envelope)));
                break;
            case LoopInput.Read read:
                raft.ReadIndex(read.Id);
                break;
            case LoopInput.ChangeConfig change:
                ProposeConfigChange(raft, change);
                break;
            case LoopInput.Transfer transfer:
                raft.TransferLeadership(transfer.Target);
                break;
            case LoopInput.Unreachable unreachable:
                raft.ReportUnreachable(unreachable.Peer);
                break;
            case LoopInput.SnapshotStatus status:
                raft.ReportSnapshot(status.Report.Peer, status.Report.Index, status.Report.Delivered);
                break;
            case LoopInput.TakeSnapshot take:
                take.Answer.TrySetResult(TakeMachines(raft));
                break;
            case LoopInput.Wake:
                break;
            default:
                throw new InvalidOperationException($"Unknown loop input {input.GetType().Name}.");
        }
    }

    /// <summary>
    /// Hands the Ready's writes to the WAL writer and goes on: messages that claim what is being written (a
    /// follower's acknowledgement, a vote) leave after it is on disk; a leader's appends leave now, since the core
    /// counts the leader's own copy only once <see cref="RaftNode.MarkPersisted"/> says it is written (Raft thesis
    /// §10.2.1). Committed entries are applied at once: a quorum already holds them. The writer reports what it made
    /// durable (<see cref="OnDurable"/>).
    /// </summary>
    private void Process(RaftWalWriter writer, Ready ready)
    {
        if (ready.SnapshotToPersist is { } installing)
        {
            // It replaces the log; the entries to persist with it come after it.
            _loggedStamps.Restored(installing.Metadata.Index);
        }

        NoteLogged(ready.EntriesToPersist);
        if (ready.SoftState is { } soft)
        {
            OnSoftState(soft);
        }

        if (ready.SnapshotToPersist is { } received)
        {
            // Rare (a follower far behind): the WAL writer saves the snapshot in log order, then the Ready's hard state
            // and entries, and only then sends the answer that says it is installed; the loop goes on meanwhile.
            LogInstalling(received.Metadata.Index, received.Data.Length, _soft.LeaderId ?? "?");
            writer.EnqueueSnapshot(received, ready.HardState, ready.EntriesToPersist, after: ready.Messages);
            _persisted = ready.HardState ?? _persisted;
        }
        else
        {
            // Term and vote must be on disk before any message that relies on them; so must a follower's entries.
            var sendNow = ready.MaySendBeforeWrite(_soft.Role, _persisted);
            if (ready.HardState is not null || ready.EntriesToPersist.Count > 0)
            {
                if (sendNow)
                {
                    _transport.Send(ready.Messages);
                }

                // A Ready that only moves the commit index needs no fsync: a lost commit index is relearned from
                // the leader (Raft Figure 2 lists it as volatile), so the writer carries it with its next write.
                // Term, vote and entries always sync.
                writer.Enqueue(ready.HardState, ready.EntriesToPersist, sync: ready.EntriesToPersist.Count > 0 || ready.ChangesTermOrVote(_persisted),
                    after: sendNow ? [] : ready.Messages);
                _persisted = ready.HardState ?? _persisted;
            }
            else if (ready.Messages.Count > 0)
            {
                // Nothing to write, but messages queued behind a write must not be overtaken.
                if (sendNow || writer.IsIdle)
                {
                    _transport.Send(ready.Messages);
                }
                else
                {
                    writer.EnqueueSend(ready.Messages);
                }
            }
        }

        if (ready.SnapshotToPersist is { } snapshot)
        {
            RestoreMachines(snapshot.Data);
            _appliedIndex = _snapshotIndex = snapshot.Metadata.Index;
            _appliedTerm = snapshot.Metadata.Term;
        }

        foreach (var entry in ready.CommittedEntries)
        {
            Apply(entry);
        }

        foreach (var read in ready.ReadStates)
        {
            if (read.Failed)
            {
                FailRead(read.RequestId);
            }
            else
            {
                _waitingReads.Enqueue(read.RequestId, read.Index);
            }
        }

        while (_waitingReads.TryPeek(out var id, out var index) && index <= _appliedIndex)
        {
            _waitingReads.Dequeue();
            if (_reads.TryGetValue(id, out var waiter))
            {
                waiter.TrySetResult();
            }
        }
    }

    private void Apply(Entry entry)
    {
        if (entry.Index != _appliedIndex + 1)
        {
            throw new InvalidOperationException($"Applying entry {entry.Index} after {_appliedIndex}: the log has a gap.");
        }

        _appliedIndex = entry.Index;
        _appliedTerm = entry.Term;
        if (entry.Type != EntryType.Command)
        {
            AdvanceClock(entry.Index, stamp: null);
            if (entry.Type == EntryType.ConfigChange)
            {
                ApplyConfigChange(entry);
            }

            return;
        }

        if (!CommandEnvelope.TryDecode(entry.Data, out var tag, out var proposalId, out var stamp, out var payload) || !_machines.TryGetValue(tag, out var machine))
        {
            AdvanceClock(entry.Index, stamp: null);
            LogUnknownCommand(entry.Index, entry.Data.Length);
            return;
        }

        var clockMs = AdvanceClock(entry.Index, stamp);
        _proposals.TryGetValue(proposalId, out var pending);
        try
        {
            var result = machine.Apply(entry.Index, clockMs, payload);
            if (pending is not null)
            {
                _telemetry.Committed(Stopwatch.GetElapsedTime(pending.StartedAt));
                pending.Applied.TrySetResult(result);
            }
        }
        catch (Exception ex)
        {
            // Deterministic: every node throws at the same entry, so the replicas stay identical.
            LogApplyFailed(ex, entry.Index, tag);
            pending?.Applied.TrySetException(ex);
        }
    }

    private void FailRead(long id)
    {
        if (_reads.TryGetValue(id, out var waiter))
        {
            waiter.TrySetException(new RaftUnavailableException("This node could not confirm a read index (no leader, or leadership changed).", LeaderId));
        }
    }

    private void OnSoftState(SoftState soft)
    {
        var previous = _soft;
        _soft = soft;
        OnRoleForClock(soft);
        _telemetry.OnSoftState(previous, soft);
        if (soft.LeaderId != previous.LeaderId)
        {
            LogLeaderChanged(soft.LeaderId ?? "none", soft.Term, soft.Role.ToString());
            if (previous.LeaderId is { } old && old != NodeId)
            {
                FailForwardsTo(old, $"Leadership moved from {old} while the command was with it; it may or may not be applied.");
            }

            if (soft.LeaderId is not null)
            {
                var known = _leaderKnown;
                _leaderKnown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                known.TrySetResult();
            }
        }
    }

    [LoggerMessage(2001, LogLevel.Information, "Raft log opened: {Entries} entries after snapshot {SnapshotIndex}, term {Term}, commit {Commit}")]
    private partial void LogOpened(int entries, long snapshotIndex, long term, long commit);

    [LoggerMessage(2002, LogLevel.Warning, "Raft log repaired on load: cut {Bytes} bytes from {File} ({Notes})")]
    private partial void LogRecovered(long bytes, string file, string notes);

    [LoggerMessage(2003, LogLevel.Information, "Leader is now {Leader} (term {Term}; this node is {Role})")]
    private partial void LogLeaderChanged(string leader, long term, string role);

    [LoggerMessage(2005, LogLevel.Error, "Entry {Index} ({Bytes} bytes) is not a command any state machine knows; skipped on every node")]
    private partial void LogUnknownCommand(long index, int bytes);

    [LoggerMessage(2006, LogLevel.Critical, "State machine {Tag} threw applying entry {Index}")]
    private partial void LogApplyFailed(Exception exception, long index, byte tag);

    [LoggerMessage(2007, LogLevel.Critical, "Raft loop failed; stopping the process")]
    private partial void LogLoopFailed(Exception exception);

    [LoggerMessage(2008, LogLevel.Warning, "Malformed forwarded command from {Peer}; dropped")]
    private partial void LogMalformedForward(string peer);
}
