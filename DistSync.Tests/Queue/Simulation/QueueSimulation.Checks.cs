using DistSync.LoadTests.Chaos.Checkers;
using DistSync.LoadTests.Chaos.History;
using DistSync.Node.Queue;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>The drain after the faults heal, and the checks: the owners' views after every step, the contracts at the end.</summary>
internal sealed partial class QueueSimulation
{
    /// <summary>Past the clients' retry budget (10 s) and a forward's timeout: every operation begun under the faults has ended.</summary>
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(20);

    /// <summary>Past the longest visibility timeout and delay the clients use, many times over.</summary>
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How late a steady owner may put back a message whose visibility timeout or delay ended: a few store round trips.
    /// The scheduler's housekeeping sleep (5 s) is far past it, so a deadline it slept through shows.
    /// </summary>
    private const long OverdueBoundMs = 500;

    /// <summary>Per partition, every call that passed the fence: the version it made, the epoch it carried, who made it, when.</summary>
    private readonly Dictionary<(string Topic, int Partition), List<(long Version, long Epoch, string Node, int Incarnation, long AtMs)>> _writes = [];

    /// <summary>Views checked against the store (a run that checks none proves nothing).</summary>
    public long ViewsChecked { get; private set; }

    public int DeadLetters { get; private set; }

    private void OnWritten((string Topic, int Partition) key, long epoch, PartitionModel partition)
    {
        if (!_writes.TryGetValue(key, out var writes))
        {
            _writes[key] = writes = [];
        }

        writes.Add((partition.Version, epoch, _writer.Node, _writer.Incarnation, NowMs));
    }

    private void CheckEveryStep() => CheckOwnersViews();

    private void CheckEveryStep(long steadyFromMs)
    {
        CheckOwnersViews();
        CheckNothingOverdue(steadyFromMs);
    }

    /// <summary>
    /// With every node up and on the last epoch (from <paramref name="steadyFromMs"/>), each partition's owner puts a
    /// message back within <see cref="OverdueBoundMs"/> of its visibility timeout or delay ending: its scheduler sleeps until
    /// the next deadline, and one that came due while it was busy is not slept through.
    /// </summary>
    private void CheckNothingOverdue(long steadyFromMs)
    {
        foreach (var ((topic, partition), p) in Store.Partitions)
        {
            var dueMs = Math.Min(p.InFlight.First ?? long.MaxValue, p.Delayed.First ?? long.MaxValue);
            var lateMs = NowMs - Math.Max(dueMs, steadyFromMs);
            if (dueMs != long.MaxValue && lateMs > OverdueBoundMs)
            {
                var owner = Node(QueueRing.OwnerOf(_epochs[^1], topic, partition));
                var view = owner.Owned!.Get(topic, partition, owner.AppliedEpoch);
                throw Failure($"{topic}/{partition}: a message due at t={dueMs - _startMs} is still not back {lateMs} ms later on a steady cluster; "
                    + $"owner {owner.Id}'s view: {(view is null ? "none" : $"{view.Ready} ready, next due {view.NextDueMs}")}");
            }
        }
    }

    /// <summary>
    /// The owner's view of a partition (<see cref="OwnedPartitions"/>: how many are ready, when the next deadline ends) is
    /// what lets it answer "empty" without asking the store and sleep until the next deadline; it is exact only because in
    /// its epoch no one else writes the partition: the fence refused the deposed owner's writes when this one took over.
    /// For every live owner whose view is of the epoch the store's fence holds: no call made by anyone else (another node,
    /// an earlier epoch) has passed the fence since the call the view was taken from; and when the view's call is the
    /// partition's last, the view says what the store holds (ready count exactly; the next deadline as counted from when
    /// the answer arrived). Its own calls whose answers are still on their way (or were lost) may follow the view's.
    /// </summary>
    private void CheckOwnersViews()
    {
        foreach (var node in _nodes.Where(n => n.Alive))
        {
            foreach (var ((topic, partition), view) in node.Owned!.All)
            {
                var stored = Store.Partition(topic, partition);
                if (view.Epoch != stored.Epoch)
                {
                    continue; // deposed, or not yet the writer: its next call is refused, or takes the partition over
                }

                ViewsChecked++;
                var writes = _writes[(topic, partition)];
                for (var i = writes.Count - 1; i >= 0 && writes[i].Version > view.Version; i--)
                {
                    var w = writes[i];
                    if (w.Node != node.Id || w.Incarnation != node.Incarnation || w.Epoch != view.Epoch)
                    {
                        throw Failure($"{node.Id}'s view of {topic}/{partition} (epoch {view.Epoch}, version {view.Version}) says {view.Ready} ready, "
                            + $"but {w.Node} (incarnation {w.Incarnation}) wrote version {w.Version} there in epoch {w.Epoch} after it, unseen by {node.Id}: "
                            + $"the store holds {stored.Ready.Count} ready now, and {node.Id} answers from its view until its next call there. "
                            + (w.Epoch < view.Epoch ? "A deposed owner's write passed the fence." : "Two nodes wrote in one epoch."));
                    }
                }

                if (stored.Version == view.Version)
                {
                    CheckViewIsExact(node, topic, partition, view, stored, writes[^1].AtMs);
                }
            }
        }
    }

    private void CheckViewIsExact(QueueSimNode node, string topic, int partition, PartitionView view, PartitionModel stored, long answeredAtMs)
    {
        var next = (stored.InFlight.First, stored.Delayed.First) switch
        {
            (null, null) => (long?)null,
            (var a, var b) => Math.Max(Math.Min(a ?? long.MaxValue, b ?? long.MaxValue), answeredAtMs),
        };
        var viewNext = view.NextDueMs < 0 ? (long?)null : view.NextDueMs - node.Owned!.NowMs + NowMs;
        var deadlineAgrees = next is null ? viewNext is null : viewNext is { } v && v >= next && v <= next + Options.MaxStoreDelayMs;
        if (view.Ready != stored.Ready.Count || !deadlineAgrees)
        {
            throw Failure($"{node.Id}'s view of {topic}/{partition} (epoch {view.Epoch}, version {view.Version}) says {view.Ready} ready, next deadline at "
                + $"{(viewNext is { } vn ? vn - _startMs : -1)}; the store, last written by that very call, holds {stored.Ready.Count} ready, next deadline at "
                + $"{(next is { } n ? n - _startMs : -1)}.");
        }
    }

    /// <summary>
    /// After the faults heal: the clients' last operations end (within their retry budget), every node applies the
    /// last epoch, and one drainer per node consumes and acks until the store holds nothing but dead letters. What is
    /// left after <see cref="DrainBound"/> was never delivered again though nothing stopped it: a violation.
    /// </summary>
    private void Drain()
    {
        _scheduler.Run(SettleBound, CheckEveryStep, EveryMillisecond,
            until: () => _clientsRunning == 0 && _nodes.All(n => n.Alive && !n.Isolated && n.AppliedEpoch == _epochs[^1].Epoch)
                && _epochs[^1].Members.Count == _nodes.Count);
        if (_clientsRunning > 0)
        {
            throw Failure($"{_clientsRunning} clients still busy {SettleBound.TotalSeconds} s after the faults healed");
        }

        var drained = false;
        foreach (var node in _nodes)
        {
            _scheduler.Start(async () =>
            {
                while (!drained)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(5), Time);
                    foreach (var topic in _topics)
                    {
                        foreach (var message in await ConsumeAsync(node, $"{node.Id}-drain", topic, 5_000, 10))
                        {
                            await ChangeAsync(node, $"{node.Id}-drain", topic, ChangeOp.Ack, message, 0, 0);
                        }
                    }
                }
            });
        }

        var steadyFromMs = NowMs;
        _scheduler.Run(DrainBound, () => CheckEveryStep(steadyFromMs), EveryMillisecond, until: () => Store.Partitions.All(p => Undelivered(p.Value) == 0));
        drained = true;
        var left = Store.Partitions.Where(p => Undelivered(p.Value) > 0).ToList();
        if (left.Count > 0)
        {
            throw Failure($"{DrainBound.TotalSeconds} s after the faults healed, messages are still queued and never delivered: "
                + string.Join("; ", left.Select(p => $"{p.Key.Topic}/{p.Key.Partition}: {p.Value.Ready.Count} ready, {p.Value.InFlight.Count} in flight, "
                    + $"{p.Value.Delayed.Count} delayed; owner views: "
                    + string.Join(", ", _nodes.Select(n => (n.Id, View: n.Owned!.Get(p.Key.Topic, p.Key.Partition, n.AppliedEpoch))).Where(v => v.View is not null)
                        .Select(v => $"{v.Id} says {v.View!.Ready} ready at version {v.View.Version}, next due {v.View.NextDueMs}"))
                    + "; last writes: " + string.Join(", ", _writes[p.Key].TakeLast(3).Select(w => $"version {w.Version} by {w.Node} in epoch {w.Epoch} at t={w.AtMs - _startMs}")))));
        }
    }

    private static int Undelivered(PartitionModel p) => p.Ready.Count + p.InFlight.Count + p.Delayed.Count;

    /// <summary>
    /// The queue's contracts over the whole history, with the dead letters read at the end: the fault harness's checker
    /// (every acknowledged publish delivered or dead-lettered, nothing delivered after its ack, nothing delivered that
    /// nobody published), then every message accounted for: each one acknowledged as published ends acked or dead-lettered
    /// (after the drain, nothing else), a dead letter was delivered max_deliveries times and never acked, and the store
    /// keeps each message in one place only.
    /// </summary>
    private void CheckEnd()
    {
        var end = Micros(NowMs);
        foreach (var ((topic, partition), p) in Store.Partitions)
        {
            foreach (var id in p.Dead)
            {
                _history.Add(new ChaosOp("end", "-", OpKinds.DeadLetter, topic, p.Messages.GetValueOrDefault(id)?.Payload, end, end, Outcome.Ok) { Id = id });
                DeadLetters++;
            }
        }

        var violations = QueueChecker.Check(_history);
        if (violations.Count > 0)
        {
            throw Failure($"{violations.Count} violations of the queue's contracts; the first:{Environment.NewLine}"
                + string.Join(Environment.NewLine, violations.Take(3)));
        }

        var places = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var ((topic, partition), p) in Store.Partitions)
        {
            foreach (var (id, place) in p.Ready.Select(id => (id, "ready")).Concat(p.Dead.Select(id => (id, "dead")))
                         .Concat(p.Messages.Keys.Where(p.InFlight.Contains).Select(id => (id, "in flight")))
                         .Concat(p.Messages.Keys.Where(p.Delayed.Contains).Select(id => (id, "delayed"))))
            {
                if (!places.TryAdd(id, $"{topic}/{partition} {place}"))
                {
                    throw Failure($"message {id} is in two places at once: {places[id]} and {topic}/{partition} {place}");
                }
            }

            if (p.Messages.Keys.FirstOrDefault(id => !places.ContainsKey(id)) is { } nowhere)
            {
                throw Failure($"message {nowhere} is stored in {topic}/{partition} but neither ready, in flight, delayed nor dead");
            }
        }

        var acks = _history.Where(o => o.Kind == OpKinds.Ack && o.Outcome != Outcome.Failed).ToLookup(o => o.Id!, StringComparer.Ordinal);
        foreach (var publish in _history.Where(o => o.Kind == OpKinds.Publish && o.Outcome == Outcome.Ok))
        {
            var place = places.GetValueOrDefault(publish.Id!);
            if (place is null && !acks.Contains(publish.Id!))
            {
                throw Failure($"message {publish.Id} ({publish.Value}) was acknowledged as published and is gone, yet no client acked it:{Environment.NewLine}"
                    + string.Join(Environment.NewLine, _history.Where(o => o.Id == publish.Id)));
            }

            if (place is not null && !place.EndsWith(" dead", StringComparison.Ordinal))
            {
                throw Failure($"message {publish.Id} ({publish.Value}) is still {place} after the drain");
            }

            if (place is not null && acks[publish.Id!].FirstOrDefault(a => a.Outcome == Outcome.Ok && a.Detail == nameof(ChangeStatus.Acked)) is { } ack)
            {
                throw Failure($"message {publish.Id} was acked ({ack}) and is still a dead letter");
            }
        }

        foreach (var ((topic, partition), p) in Store.Partitions)
        {
            if (p.Dead.FirstOrDefault(id => p.Deliveries.GetValueOrDefault(id) < Options.MaxDeliveries) is { } early)
            {
                throw Failure($"message {early} is a dead letter of {topic}/{partition} after {p.Deliveries.GetValueOrDefault(early)} deliveries, fewer than max_deliveries {Options.MaxDeliveries}");
            }
        }
    }
}
