using DistSync.Node.Locks;
using DistSync.Raft;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// The lock safety properties, checked as the run goes: no conflicting holders in any node's table or among the
/// clients' beliefs (a session's holds believed for as long as the client's count of its last keep-alive runs), no
/// session ended while its client still trusts it, the same table bytes on every node at every index, fencing tokens
/// that only grow, and no acknowledged grant lost after the cluster heals.
/// </summary>
internal sealed partial class LockSimulation
{
    // What the first node to apply each index (index - 1) saw; every other node must see the same.
    private readonly List<AppliedRecord> _history = [];
    private readonly Dictionary<long, string> _leaderOfTerm = [];
    private readonly List<AcknowledgedGrant> _acknowledged = [];
    private readonly Dictionary<(string Resource, string ClientId), long> _lastTokenOfClient = [];

    // The fenced store a lock protects (Kleppmann's fencing): the highest tokens it has seen used, per resource.
    private readonly Dictionary<string, long> _maxExclusiveToken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _maxAnyToken = new(StringComparer.Ordinal);

    public int GrantsObserved { get; private set; }

    public int WaitsGranted { get; private set; }

    public int LeasesExpired { get; private set; }

    public int HoldsCheckedAtEnd { get; private set; }

    public int UpgradesGranted { get; private set; }

    public int DeadlocksRefused { get; private set; }

    public long CommittedCommands { get; private set; }

    public int SessionsOpened { get; private set; }

    public int KeepAlivesAnswered { get; private set; }

    public int SessionHoldsGranted { get; private set; }

    public int SessionsExpired { get; private set; }

    public int SessionsClosed { get; private set; }

    /// <summary>Holds released because their session ended (by expiry or close).</summary>
    public int SessionHoldsReleased { get; private set; }

    private sealed record AppliedRecord(long Term, byte[] Data, LockOutcome? Outcome, byte[] State);

    private sealed record AcknowledgedGrant(string Resource, string ClientId, long Token, long Index);

    private void OnApplied(LockSimNode node, Entry entry, LockOutcome? outcome)
    {
        var state = node.Table.Serialize();
        var position = (int)entry.Index - 1;
        if (position < _history.Count)
        {
            var first = _history[position];
            if (first.Term != entry.Term || !first.Data.AsSpan().SequenceEqual(entry.Data))
            {
                Fail($"state machine safety: {node.Id} applied a different entry at {entry.Index}");
            }

            if (!Equals(first.Outcome, outcome))
            {
                Fail($"determinism: {node.Id} answered {outcome} at {entry.Index} where another node answered {first.Outcome}");
            }

            if (!first.State.AsSpan().SequenceEqual(state))
            {
                Fail($"determinism: {node.Id}'s lock table after {entry.Index} differs from another node's");
            }
        }
        else if (position == _history.Count)
        {
            _history.Add(new AppliedRecord(entry.Term, entry.Data, outcome, state));
            CountFirstApply(outcome);
        }
        else
        {
            Fail($"{node.Id} applied index {entry.Index} with only {_history.Count} entries known");
        }

        CheckTable(node);
        NotifyClients(node, entry, outcome);
    }

    private void CountFirstApply(LockOutcome? outcome)
    {
        if (outcome is null)
        {
            return;
        }

        CommittedCommands++;
        LeasesExpired += outcome.Events.Count(e => e is LockEvent.LeaseExpired);
        SessionHoldsReleased += outcome.Events.Count(e => e is LockEvent.SessionHoldReleased);
        SessionsExpired += outcome is LockOutcome.ExpiryApplied expiry ? expiry.SessionsExpired : 0;
        SessionsClosed += outcome is LockOutcome.SessionClosed ? 1 : 0;
    }

    protected override void CheckRestoredState(LockSimNode node, Snapshot snapshot)
    {
        var index = snapshot.Metadata.Index;
        if (index > _history.Count || !_history[(int)index - 1].State.AsSpan().SequenceEqual(LockSimNode.SplitSnapshot(snapshot.Data).Table))
        {
            Fail($"state machine safety: {node.Id} restored a lock table at {index} that no node applied");
        }
    }

    /// <summary>Raft §5.2 election safety: at most one leader per term.</summary>
    private void CheckElectionSafety(LockSimNode node, RaftNode raft)
    {
        if (_leaderOfTerm.TryAdd(raft.Term, node.Id) || _leaderOfTerm[raft.Term] == node.Id)
        {
            return;
        }

        Fail($"election safety: {_leaderOfTerm[raft.Term]} and {node.Id} both lead term {raft.Term}");
    }

    protected override void CheckInvariants()
    {
        foreach (var node in Nodes)
        {
            if (node.IsUp)
            {
                CheckTable(node);
            }
        }

        CheckBeliefs();
    }

    /// <summary>A node's applied table: one exclusive holder alone, or only shared holders; and its own indexes consistent.</summary>
    private void CheckTable(LockSimNode node)
    {
        foreach (var resource in node.Table.GetState())
        {
            var exclusive = resource.Holders.Count(h => h.Mode == LockMode.Exclusive);
            if (exclusive > 1 || (exclusive == 1 && resource.Holders.Count > 1))
            {
                Fail($"mutual exclusion: {node.Id} (applied {node.AppliedIndex}) has {resource.Resource} held by {Describe(resource.Holders)}");
            }
        }

        try
        {
            node.Table.CheckInvariants();
        }
        catch (InvalidOperationException e)
        {
            Fail($"{node.Id}'s lock table broke an invariant at {node.AppliedIndex}: {e.Message}");
        }
    }

    /// <summary>
    /// What clients believe right now (a grant they were told of, which their own count in real time has not run out):
    /// never two conflicting holders, and every token is accepted by a fenced store (no use of a token older than one
    /// already used exclusively; an exclusive use no older than any use).
    /// </summary>
    private void CheckBeliefs()
    {
        var now = NowMs;
        foreach (var client in _clients)
        {
            if (client.Belief is { } b && now >= TrustedUntil(client, b))
            {
                client.Belief = null;
            }
        }

        foreach (var group in _clients.Where(c => c.Belief is not null).GroupBy(c => c.Belief!.Resource, StringComparer.Ordinal))
        {
            var holders = group.ToList();
            if (holders.Count > 1 && holders.Any(c => c.Belief!.Mode == LockMode.Exclusive))
            {
                Fail($"mutual exclusion: clients {string.Join(", ", holders.Select(c => $"{c.Id} {c.Belief}"))} all believe they hold {group.Key}; {RecentHistory(group.Key)}");
            }

            foreach (var client in holders)
            {
                UseFencedStore(client.Id, client.Belief!);
            }
        }
    }

    private void UseFencedStore(string clientId, LockSimBelief belief)
    {
        var maxExclusive = _maxExclusiveToken.GetValueOrDefault(belief.Resource);
        var maxAny = _maxAnyToken.GetValueOrDefault(belief.Resource);
        if (belief.Token < maxExclusive || (belief.Mode == LockMode.Exclusive && belief.Token < maxAny))
        {
            Fail($"fencing: {clientId} uses token {belief.Token} ({belief.Mode}) on {belief.Resource} after tokens up to {maxAny} (exclusive {maxExclusive})");
        }

        _maxAnyToken[belief.Resource] = Math.Max(maxAny, belief.Token);
        if (belief.Mode == LockMode.Exclusive)
        {
            _maxExclusiveToken[belief.Resource] = Math.Max(maxExclusive, belief.Token);
        }
    }

    /// <summary>How long the client trusts a grant: its lease's count, or its session's.</summary>
    private static double TrustedUntil(LockSimClient client, LockSimBelief belief) => belief.SessionId is { } session
        ? client.SessionId == session ? client.SessionTrustedUntilMs : double.NegativeInfinity
        : belief.TrustedUntilMs;

    /// <summary>
    /// A client was told it holds a resource (by its proposal's outcome or by a wake-up on the node it waits on); for a lease
    /// it trusts the grant until <paramref name="trustedUntilMs"/>, for a session's hold as long as it trusts the session.
    /// </summary>
    private void ObserveGrant(LockSimClient client, LockCommand.Acquire acquire, LockMode mode, long token, double trustedUntilMs, bool isNew, long index)
    {
        var resource = acquire.Resource;
        if (isNew && token != index)
        {
            Fail($"fencing: {client.Id} was granted {resource} at index {index} with token {token}");
        }

        var key = (resource, client.Id);
        var last = _lastTokenOfClient.GetValueOrDefault(key);
        if (isNew ? token <= last : token < last)
        {
            Fail($"fencing: {client.Id} was granted {resource} with token {token} after token {last}");
        }

        _lastTokenOfClient[key] = token;
        _acknowledged.Add(new AcknowledgedGrant(resource, client.Id, token, index));
        GrantsObserved++;
        if (client.Phase == LockSimClientPhase.Waiting)
        {
            WaitsGranted++;
        }

        if (isNew && mode == LockMode.Exclusive && client.Belief is { Mode: LockMode.Shared } held && held.Resource == resource)
        {
            UpgradesGranted++;
        }

        SessionHoldsGranted += acquire.SessionId is not null && isNew ? 1 : 0;
        var belief = new LockSimBelief(resource, mode, token, acquire.SessionId is null ? trustedUntilMs : double.PositiveInfinity, acquire.SessionId);
        client.Belief = TrustedUntil(client, belief) > NowMs ? belief : null;
        CheckBeliefs();
    }

    protected override bool MarkerStillPossible(long markerIndex) =>
        markerIndex > _history.Count || _history[(int)markerIndex - 1].Data.AsSpan().SequenceEqual(MarkerCommand);

    /// <summary>
    /// After healing every node applied the same index: the tables are byte-identical, and every acknowledged grant
    /// that its client did not release and no committed expiry ended is still held, with its token or a later one.
    /// </summary>
    private void CheckFinalState()
    {
        var applied = Nodes[0].AppliedIndex;
        var expected = _history[(int)applied - 1].State;
        foreach (var node in Nodes)
        {
            if (node.AppliedIndex != applied || !node.Table.Serialize().AsSpan().SequenceEqual(expected))
            {
                Fail($"convergence: {node.Id} (applied {node.AppliedIndex}) has a different lock table than the log's at {applied}");
            }
        }

        foreach (var grant in _acknowledged)
        {
            if (EndedAfter(grant))
            {
                continue;
            }

            HoldsCheckedAtEnd++;
            foreach (var node in Nodes)
            {
                var holder = node.Table.GetState(grant.Resource)?.Holders.FirstOrDefault(h => h.ClientId == grant.ClientId);
                if (holder is null || holder.Token < grant.Token)
                {
                    Fail($"durability: {grant.ClientId} was told at {grant.Index} it holds {grant.Resource} (token {grant.Token}), never released it and no expiry ended it, but {node.Id} shows {(holder is null ? "no hold" : $"token {holder.Token}")}");
                }
            }
        }
    }

    /// <summary>Whether a committed release by the client, or a committed end of its lease or session, came after the grant.</summary>
    private bool EndedAfter(AcknowledgedGrant grant)
    {
        for (var index = grant.Index + 1; index <= _history.Count; index++)
        {
            var record = _history[(int)index - 1];
            if (record.Outcome is null)
            {
                continue;
            }

            if (LockSimNode.Command(record.Data) is LockCommand.Release r && r.Resource == grant.Resource && r.ClientId == grant.ClientId)
            {
                return true;
            }

            if (record.Outcome.Events.Any(e => e is LockEvent.LeaseExpired or LockEvent.SessionHoldReleased && e.Resource == grant.Resource && e.ClientId == grant.ClientId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The last committed commands touching a resource, for the failure message.</summary>
    private string RecentHistory(string resource)
    {
        var lines = new List<string>();
        for (var index = _history.Count; index >= 1 && lines.Count < 12; index--)
        {
            var record = _history[index - 1];
            if (record.Outcome is null)
            {
                continue;
            }

            var command = LockSimNode.Command(record.Data);
            var touches = command is LockCommand.ExpireDue or LockCommand.CloseSession
                ? record.Outcome.Events.Any(e => e.Resource == resource)
                : command is LockCommand.Acquire a ? a.Resource == resource
                : command is LockCommand.Release r ? r.Resource == resource
                : command is LockCommand.Renew n && n.Resource == resource;
            if (touches)
            {
                lines.Add($"{index}@t{record.Term}: {command} -> {record.Outcome}");
            }
        }

        lines.Reverse();
        return "recent commands: " + string.Join(" | ", lines);
    }

    private static string Describe(IReadOnlyList<LockHolderState> holders) =>
        string.Join(", ", holders.Select(h => $"{h.ClientId} {h.Mode} token {h.Token}"));
}
