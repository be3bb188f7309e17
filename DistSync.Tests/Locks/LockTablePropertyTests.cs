using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

/// <summary>
/// Random command sequences (seeded; a failing seed replays exactly) checked after every step against the rules
/// of docs/semantics.md: exclusion, FIFO promotion, fencing order, refusals that change nothing, valid deadlock cycles,
/// sessions that end only when closed or once their time has come, determinism across two tables fed the same log, and
/// snapshot restores in the middle of the run.
/// </summary>
public class LockTablePropertyTests
{
    private const int Steps = 400;
    private static readonly string[] _clients = ["a", "b", "c", "d", "e", "f"];
    private static readonly string[] _resources = ["r1", "r2", "r3"];

    /// <summary>Seeds for two workloads: a mixed one, and a contended one (long leases and waits, few releases) rich in deadlocks.</summary>
    public static TheoryData<int, bool> Seeds()
    {
        var data = new TheoryData<int, bool>();
        for (var seed = 0; seed < 80; seed++)
        {
            data.Add(seed, false);
            data.Add(seed, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Apply_RandomCommands_InvariantsHoldAfterEveryStep(int seed, bool contended)
    {
        var random = new Random(seed);
        var table = new LockTable();
        var twin = new LockTable();
        var lastGrant = new Dictionary<string, long>(StringComparer.Ordinal);
        var sessions = new List<long>();
        var now = 1_000_000L;

        for (var step = 1; step <= Steps; step++)
        {
            // Mostly forward; sometimes a little back, as after a change to a leader whose clock lags.
            now += random.Next(-40, 300);
            var command = contended ? NextContendedCommand(random, table, now) : NextCommand(random, table, sessions, now);
            var context = $"seed {seed} contended {contended} step {step} command {command}";
            var bytesBefore = table.Serialize();
            var queuesBefore = _resources.ToDictionary(r => r, r => table.GetState(r)?.Waiters.Select(w => w.ClientId).ToList() ?? []);
            var holdersBefore = _resources.ToDictionary(r => r, r => table.GetState(r)?.Holders.ToList() ?? []);
            var sessionsBefore = sessions.Select(table.GetSession).OfType<LockSessionState>().ToList();

            var outcome = table.Apply(command, step);
            var twinOutcome = twin.Apply(command, step);

            Assert.True(outcome.Equals(twinOutcome), $"{context}: twin answered {twinOutcome}, table {outcome}");
            var bytesAfter = table.Serialize();
            Assert.True(bytesAfter.AsSpan().SequenceEqual(twin.Serialize()), $"{context}: twin bytes differ");
            var invariantError = Record.Exception(table.CheckInvariants);
            Assert.True(invariantError is null, $"{context}: {invariantError?.Message}");

            var fullGraphCycle = FindCycleInFullGraph(table.GetWaitForGraph());
            Assert.True(fullGraphCycle is null, $"{context}: wait-for cycle [{string.Join(",", fullGraphCycle ?? [])}] was let in");
            CheckExclusion(table, context);
            CheckFencing(table, command, outcome, step, holdersBefore, lastGrant, context);
            CheckFifo(table, command, outcome, queuesBefore, holdersBefore, context);
            CheckRefusalsChangeNothing(outcome, bytesBefore, bytesAfter, context);
            CheckSessionEnds(table, command, sessionsBefore, context);
            if (outcome is LockOutcome.SessionCreated { Existing: false } created)
            {
                sessions.Add(created.SessionId);
            }

            if (outcome is LockOutcome.Deadlock deadlock)
            {
                CheckCycle(table, (LockCommand.Acquire)command, deadlock.Cycle, context);
            }

            // Now and then the twin is rebuilt from its snapshot, as a node restarting from one would be.
            if (step % 37 == 0)
            {
                twin = LockTable.Restore(twin.Serialize());
                Assert.True(bytesAfter.AsSpan().SequenceEqual(twin.Serialize()), $"{context}: restored twin bytes differ");
            }
        }
    }

    private static LockCommand NextCommand(Random random, LockTable table, List<long> sessions, long now)
    {
        var resource = _resources[random.Next(_resources.Length)];
        var client = _clients[random.Next(_clients.Length)];

        // Most releases and renews come from someone who holds or waits, so they do something.
        if (random.Next(3) > 0 && table.GetState(resource) is { } state)
        {
            var known = state.Holders.Select(h => h.ClientId).Concat(state.Waiters.Select(w => w.ClientId)).ToList();
            client = known[random.Next(known.Count)];
        }

        // Sessions belong to two owners. Mostly an open one, named by its owner; sometimes one that ended, never was, or
        // is the other owner's.
        var open = sessions.Where(id => table.GetSession(id) is not null).ToList();
        var session = open.Count > 0 && random.Next(5) > 0 ? open[random.Next(open.Count)]
            : sessions.Count > 0 && random.Next(2) == 0 ? sessions[random.Next(sessions.Count)]
            : random.Next(1, 400);
        var owner = table.GetSession(session)?.Owner is { } own && random.Next(10) > 0 ? own : random.Next(2) == 0 ? "o1" : "o2";
        var roll = random.Next(100);
        return roll switch
        {
            < 42 => new LockCommand.Acquire(
                resource,
                client,
                random.Next(2) == 0 ? LockMode.Shared : LockMode.Exclusive,
                random.Next(1, 3_000),
                random.Next(4) == 0 ? 0 : random.Next(1, 2_000),
                now),
            < 54 => new LockCommand.Acquire(resource, client, random.Next(2) == 0 ? LockMode.Shared : LockMode.Exclusive, 0, random.Next(4) == 0 ? 0 : random.Next(1, 2_000), now)
            {
                SessionId = session,
                Owner = owner,
            },
            < 70 => new LockCommand.Release(resource, client, now),
            < 76 => new LockCommand.Renew(resource, client, random.Next(1, 3_000), now),
            < 90 => new LockCommand.ExpireDue(now),
            < 94 => new LockCommand.CreateSession(owner, random.Next(1_000, 4_000), now) { RequestId = random.Next(3) == 0 ? $"boot-{random.Next(3)}" : null },
            < 97 => new LockCommand.KeepAlive(session, owner, now),
            < 98 => new LockCommand.CloseSession(session, owner, now),
            _ => new LockCommand.Acquire(resource, client, LockMode.Shared, 0, 0, now), // invalid ttl: rejected
        };
    }

    private static LockCommand NextContendedCommand(Random random, LockTable table, long now)
    {
        var resource = _resources[random.Next(_resources.Length)];
        var client = _clients[random.Next(4)];
        var roll = random.Next(100);
        if (roll < 80)
        {
            var mode = random.Next(3) == 0 ? LockMode.Shared : LockMode.Exclusive;
            return new LockCommand.Acquire(resource, client, mode, random.Next(20_000, 60_000), random.Next(5_000, 20_000), now);
        }

        if (roll < 92)
        {
            // Release something actually held or awaited, to keep the table moving.
            var states = table.GetState();
            if (states.Count > 0)
            {
                var state = states[random.Next(states.Count)];
                var known = state.Holders.Select(h => h.ClientId).Concat(state.Waiters.Select(w => w.ClientId)).ToList();
                return new LockCommand.Release(state.Resource, known[random.Next(known.Count)], now);
            }
        }

        return new LockCommand.ExpireDue(now);
    }

    /// <summary>The test's own cycle search over the full graph, independent of the table's reduced one.</summary>
    private static List<string>? FindCycleInFullGraph(IReadOnlyDictionary<string, IReadOnlyList<string>> graph)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();

        List<string>? Walk(string node)
        {
            var at = path.IndexOf(node);
            if (at >= 0)
            {
                return [.. path.Skip(at), node];
            }

            if (!done.Add(node))
            {
                return null;
            }

            path.Add(node);
            foreach (var next in graph.TryGetValue(node, out var targets) ? targets : [])
            {
                if (Walk(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            return null;
        }

        foreach (var start in graph.Keys)
        {
            if (Walk(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    private static void CheckExclusion(LockTable table, string context)
    {
        foreach (var state in table.GetState())
        {
            var exclusive = state.Holders.Count(h => h.Mode == LockMode.Exclusive);
            Assert.True(state.Holders.Count > 0, $"{context}: {state.Resource} listed without holders");
            Assert.True(exclusive == 0 || state.Holders.Count == 1, $"{context}: {state.Resource} has exclusive with others");
            Assert.True(state.Mode == (exclusive == 1 ? LockMode.Exclusive : LockMode.Shared), $"{context}: {state.Resource} mode");
        }
    }

    private static void CheckFencing(
        LockTable table,
        LockCommand command,
        LockOutcome outcome,
        long index,
        Dictionary<string, List<LockHolderState>> holdersBefore,
        Dictionary<string, long> lastGrant,
        string context)
    {
        var grants = outcome.Events.OfType<LockEvent.Granted>().Select(g => (g.Resource, g.ClientId, g.Token)).ToList();
        if (command is LockCommand.Acquire a && outcome is LockOutcome.Acquired acquired)
        {
            if (acquired.AlreadyHeld)
            {
                var before = holdersBefore[a.Resource].Single(h => h.ClientId == a.ClientId);
                Assert.True(acquired.Token == before.Token, $"{context}: repeat acquire changed the token");
                Assert.True(a.SessionId is not null || acquired.ExpiresAtMs == a.NowMs + a.TtlMs, $"{context}: repeat acquire did not renew the lease");
                Assert.True(a.SessionId is null || acquired.ExpiresAtMs == table.GetSession(a.SessionId.Value)!.ExpiresAtMs, $"{context}: a session's hold ends when it does");
            }
            else
            {
                grants.Add((a.Resource, a.ClientId, acquired.Token));
            }
        }

        foreach (var (resource, client, token) in grants)
        {
            Assert.True(token == index, $"{context}: grant token {token} is not the command index {index}");
            var previous = lastGrant.GetValueOrDefault(resource);
            Assert.True(previous < token || previous == index, $"{context}: token {token} on {resource} after {previous}");
            lastGrant[resource] = token;
            var holder = table.GetState(resource)?.Holders.SingleOrDefault(h => h.ClientId == client);
            Assert.True(holder?.Token == token, $"{context}: {client} granted {resource} but does not hold it with token {token}");
        }

        foreach (var state in table.GetState())
        {
            Assert.True(state.FencingToken == lastGrant.GetValueOrDefault(state.Resource), $"{context}: {state.Resource} fencing token {state.FencingToken}");
        }
    }

    /// <summary>Grants go to the queue's head in order; a new request is granted at once only past an empty queue.</summary>
    private static void CheckFifo(
        LockTable table,
        LockCommand command,
        LockOutcome outcome,
        Dictionary<string, List<string>> queuesBefore,
        Dictionary<string, List<LockHolderState>> holdersBefore,
        string context)
    {
        foreach (var resource in _resources)
        {
            var removed = outcome.Events
                .Where(e => e.Resource == resource && e is LockEvent.WaitTimedOut or LockEvent.WaitCancelled or LockEvent.SessionWaitEnded)
                .Select(e => e.ClientId).ToHashSet(StringComparer.Ordinal);
            var remaining = queuesBefore[resource].Where(c => !removed.Contains(c)).ToList();
            var granted = outcome.Events.OfType<LockEvent.Granted>().Where(g => g.Resource == resource).Select(g => g.ClientId).ToList();
            Assert.True(granted.SequenceEqual(remaining.Take(granted.Count)), $"{context}: {resource} granted [{string.Join(",", granted)}] out of queue order [{string.Join(",", remaining)}]");

            var expectedQueue = remaining.Skip(granted.Count).ToList();
            if (command is LockCommand.Acquire { } a && a.Resource == resource && outcome is LockOutcome.Waiting w && !queuesBefore[resource].Contains(a.ClientId))
            {
                expectedQueue.Add(a.ClientId);
                Assert.True(w.Position == expectedQueue.Count, $"{context}: new waiter at position {w.Position}, queue has {expectedQueue.Count}");
                Assert.True(w.DeadlineMs == a.NowMs + a.WaitMs, $"{context}: deadline {w.DeadlineMs}");
            }

            var queueAfter = table.GetState(resource)?.Waiters.Select(x => x.ClientId).ToList() ?? [];
            Assert.True(queueAfter.SequenceEqual(expectedQueue), $"{context}: {resource} queue [{string.Join(",", queueAfter)}], expected [{string.Join(",", expectedQueue)}]");
        }

        // Refused or queued only if it really could not be granted: someone queued, or a conflicting other holder.
        if (command is LockCommand.Acquire blocked && (outcome is LockOutcome.Busy || (outcome is LockOutcome.Waiting && !queuesBefore[blocked.Resource].Contains(blocked.ClientId))))
        {
            var others = holdersBefore[blocked.Resource].Where(h => h.ClientId != blocked.ClientId).ToList();
            var conflict = others.Any(h => LockModes.Conflicts(blocked.Mode, h.Mode));
            Assert.True(queuesBefore[blocked.Resource].Count > 0 || conflict, $"{context}: grantable request answered {outcome}");
            Assert.True(conflict || others.Count == holdersBefore[blocked.Resource].Count, $"{context}: sole holder's upgrade answered {outcome}");
        }

        if (command is LockCommand.Acquire acquire && outcome is LockOutcome.Acquired { AlreadyHeld: false })
        {
            var heldBefore = holdersBefore[acquire.Resource].Any(h => h.ClientId == acquire.ClientId);
            var upgradeBySoleHolder = heldBefore && holdersBefore[acquire.Resource].Count == 1;
            Assert.True(upgradeBySoleHolder || queuesBefore[acquire.Resource].Count == 0, $"{context}: immediate grant jumped the queue");
        }
    }

    private static void CheckRefusalsChangeNothing(LockOutcome outcome, byte[] before, byte[] after, string context)
    {
        var refusal = outcome is LockOutcome.Busy or LockOutcome.Deadlock or LockOutcome.AlreadyWaiting
            or LockOutcome.LimitReached or LockOutcome.NotHeld or LockOutcome.Rejected or LockOutcome.SessionNotFound or LockOutcome.SessionMismatch
            or LockOutcome.SessionHold or LockOutcome.ExpiryApplied { Events.Count: 0, SessionsExpired: 0 };
        if (refusal)
        {
            Assert.True(before.AsSpan().SequenceEqual(after), $"{context}: {outcome} changed the table");
        }
    }

    /// <summary>
    /// A session ends only when closed, or by an expiry whose time has reached its end (the client's count of its holds
    /// relies on this); then nothing of it is left, and while it lives every hold it has ends with it.
    /// </summary>
    private static void CheckSessionEnds(LockTable table, LockCommand command, List<LockSessionState> before, string context)
    {
        foreach (var session in before)
        {
            var now = table.GetSession(session.SessionId);
            var closed = command is LockCommand.CloseSession c && c.SessionId == session.SessionId && c.Owner == session.Owner;
            var expired = command is LockCommand.ExpireDue e && e.NowMs >= session.ExpiresAtMs;
            Assert.True(now is not null || closed || expired, $"{context}: session {session.SessionId} ended before {session.ExpiresAtMs}");
            Assert.True(now is null || now.ExpiresAtMs >= session.ExpiresAtMs, $"{context}: session {session.SessionId}'s end moved back");
            if (now is not null)
            {
                foreach (var hold in now.Holds)
                {
                    var holder = table.GetState(hold.Resource)!.Holders.Single(h => h.ClientId == hold.ClientId);
                    Assert.True(holder.SessionId == session.SessionId && holder.ExpiresAtMs == now.ExpiresAtMs, $"{context}: {hold} does not end with its session");
                }
            }
        }

        foreach (var state in table.GetState())
        {
            Assert.True(state.Holders.All(h => h.SessionId is not { } id || table.GetSession(id) is not null), $"{context}: {state.Resource} held by an ended session");
        }
    }

    /// <summary>The cycle starts and ends with the requester, its first hop is someone it would wait for, and every other hop is a real edge.</summary>
    private static void CheckCycle(LockTable table, LockCommand.Acquire a, IReadOnlyList<string> cycle, string context)
    {
        Assert.True(cycle.Count >= 3 && cycle[0] == a.ClientId && cycle[^1] == a.ClientId, $"{context}: cycle [{string.Join(",", cycle)}]");
        Assert.True(cycle.Skip(1).Take(cycle.Count - 2).Distinct().Count() == cycle.Count - 2, $"{context}: cycle repeats a client");
        var state = table.GetState(a.Resource)!;
        var first = cycle[1];
        var blocks = state.Holders.Any(h => h.ClientId == first && LockModes.Conflicts(a.Mode, h.Mode))
            || state.Waiters.Any(w => w.ClientId == first && LockModes.Conflicts(a.Mode, w.Mode));
        Assert.True(blocks, $"{context}: requester would not wait for {first}");
        var graph = table.GetWaitForGraph();
        for (var i = 1; i < cycle.Count - 1; i++)
        {
            Assert.True(graph.TryGetValue(cycle[i], out var targets) && targets.Contains(cycle[i + 1]), $"{context}: no edge {cycle[i]} -> {cycle[i + 1]}");
        }
    }
}
