using DistSync.Node.Locks;
using DistSync.Raft;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// The simulated clients and the leader's expiry proposals: what drives the lock table. A client counts what it was told
/// from when it sent the request, on its own drifting clock, less a margin, as docs/semantics.md tells real clients to.
/// </summary>
internal sealed partial class LockSimulation
{
    private const int ClientCount = 5;

    /// <summary>The first clients hold through a session; the others through leases of their own.</summary>
    private const int SessionClientCount = 2;

    /// <summary>A proposal with no outcome after this many ticks is given up and retried, as a client's timeout would.</summary>
    private const int ProposalTimeoutTicks = 40;

    private const int MaxAttempts = 5;

    private static readonly string[] Resources = ["r1", "r2", "r3"];

    private static readonly byte[] MarkerCommand =
        LockSimNode.Envelope(new LockCommand.Release("marker", "settle", 0), StartMs);

    private readonly LockSimClient[] _clients;

    private void ClientsAct()
    {
        foreach (var client in _clients)
        {
            if (client.UsesSession)
            {
                KeepSessionAlive(client);
            }

            switch (client.Phase)
            {
                case LockSimClientPhase.Idle:
                    ActIdle(client);
                    break;
                case LockSimClientPhase.Proposing:
                    ActProposing(client);
                    break;
                case LockSimClientPhase.Waiting:
                    ActWaiting(client);
                    break;
                default:
                    throw new InvalidOperationException($"unknown phase {client.Phase}");
            }
        }
    }

    private void ActIdle(LockSimClient client)
    {
        var roll = Random.NextDouble();
        if (client.UsesSession && client.SessionId is null)
        {
            if (roll < 0.3)
            {
                // With a request id, so a retry whose first attempt was applied answers that session.
                client.StartProposal(new LockCommand.CreateSession(LockSimClient.Owner, RandomSessionTtl(), NowMs) { RequestId = $"{client.Id}-{client.Creates++}" }, Ticks);
            }
        }
        else if (client.UsesSession && roll < 0.002)
        {
            // The client dies (or hangs): it says nothing more, and its session must end by expiry.
            client.ForgetSession();
        }
        else if (client.UsesSession && roll < 0.006)
        {
            // A closing client stops relying on the session and all its holds as soon as it asks to close.
            var session = client.SessionId!.Value;
            client.ForgetSession();
            client.StartProposal(new LockCommand.CloseSession(session, LockSimClient.Owner, NowMs), Ticks);
        }
        else if (client.Belief is { } belief)
        {
            if (roll < 0.08)
            {
                // A releasing client stops relying on the lock as soon as it asks to release.
                client.Belief = null;
                client.StartProposal(new LockCommand.Release(belief.Resource, client.Id, NowMs), Ticks);
            }
            else if (roll < 0.2 && !client.UsesSession)
            {
                // A renew may shorten the lease (a smaller ttl) and may apply before its answer arrives, so the client
                // trusts only the shorter of the two leases until it is answered.
                var renew = new LockCommand.Renew(belief.Resource, client.Id, RandomTtl(), NowMs);
                client.Belief = belief with { TrustedUntilMs = Math.Min(belief.TrustedUntilMs, client.Trust(NowMs, renew.TtlMs)) };
                client.StartProposal(renew, Ticks);
            }
            else if (roll < 0.26 && belief.Mode == LockMode.Shared)
            {
                // Upgrade: granted at once to a sole holder (with a new lease, so trust the shorter one meanwhile), else
                // queued while the shared hold stays; two upgrading holders make the second a deadlock.
                var upgrade = Acquire(client, belief.Resource, LockMode.Exclusive);
                if (!client.UsesSession)
                {
                    client.Belief = belief with { TrustedUntilMs = Math.Min(belief.TrustedUntilMs, client.Trust(NowMs, upgrade.TtlMs)) };
                }

                client.StartProposal(upgrade, Ticks);
            }

            // Otherwise it keeps working under the lock, or lets the lease lapse.
        }
        else if (roll < 0.25)
        {
            var resource = Resources[Random.Next(Resources.Length)];
            var mode = Random.Next(3) == 0 ? LockMode.Shared : LockMode.Exclusive;
            client.StartProposal(Acquire(client, resource, mode), Ticks);
        }

        if (client.Phase == LockSimClientPhase.Proposing)
        {
            TryPropose(client);
        }
    }

    /// <summary>An acquire with a lease of its own, or, for a session client, in its session.</summary>
    private LockCommand.Acquire Acquire(LockSimClient client, string resource, LockMode mode) => client.UsesSession
        ? new LockCommand.Acquire(resource, client.Id, mode, 0, RandomWaitMs(), NowMs) { SessionId = client.SessionId, Owner = LockSimClient.Owner }
        : new LockCommand.Acquire(resource, client.Id, mode, RandomTtl(), RandomWaitMs(), NowMs);

    private long RandomTtl() => (5 + Random.Next(40)) * MsPerTick;

    private long RandomWaitMs() => Random.Next(3) == 0 ? 0 : (5 + Random.Next(30)) * MsPerTick;

    private void ActProposing(LockSimClient client)
    {
        if (client.Proposal.Node is not null && (NodeForgot(client.Proposal) || Ticks - client.Proposal.SinceTick > ProposalTimeoutTicks))
        {
            // The outcome is unknown (the node crashed, or lost office and never applied it): ask again.
            client.Proposal.Reset();
            client.Attempts++;
        }

        if (client.Proposal.Node is null)
        {
            if (client.Attempts >= MaxAttempts)
            {
                client.BecomeIdle();
                return;
            }

            TryPropose(client);
        }
    }

    private void ActWaiting(LockSimClient client)
    {
        var acquire = (LockCommand.Acquire)client.Command!;
        var giveUpTick = client.SinceTick + (acquire.WaitMs / MsPerTick) + ProposalTimeoutTicks;
        if (NodeForgot(client.Proposal) || Ticks > giveUpTick)
        {
            // The node holding the wait is gone or silent: repeat the acquire elsewhere (a repeat answers its place).
            client.StartProposal(acquire with { NowMs = NowMs }, Ticks);
            TryPropose(client);
        }
    }

    private bool NodeForgot(LockSimProposal proposal) =>
        _byId[proposal.Node!] is var node && (!node.IsUp || node.Incarnation != proposal.NodeIncarnation);

    private void TryPropose(LockSimClient client)
    {
        client.Command = client.Command! with { NowMs = NowMs };
        TrySend(client.Proposal, client.Command);
    }

    /// <summary>
    /// Sends a command to a node, following its leader hint once; on refusal the caller tries again later. Only a leader
    /// accepts, and it stamps its own leader time, as RaftHost does.
    /// </summary>
    private bool TrySend(LockSimProposal proposal, LockCommand command)
    {
        var node = Nodes[Random.Next(NodeCount)];
        for (var hop = 0; hop < 2 && node.Raft is { } raft; hop++)
        {
            var result = raft.Propose(LockSimNode.Envelope(command, node.LeaderClockMs(NowMs)));
            if (result.IsAccepted)
            {
                proposal.Node = node.Id;
                proposal.NodeIncarnation = node.Incarnation;
                proposal.Index = result.Index;
                proposal.Term = result.Term;
                proposal.SentMs = NowMs;
                proposal.SinceTick = Ticks;
                return true;
            }

            if (result.LeaderHint is not { } hint || !_byId.TryGetValue(hint, out var next) || next == node)
            {
                return false;
            }

            node = next;
        }

        return false;
    }

    /// <summary>A node applied an entry: answer the client that proposed it there, and wake clients waiting there.</summary>
    private void NotifyClients(LockSimNode node, Entry entry, LockOutcome? outcome)
    {
        foreach (var client in _clients)
        {
            if (client.KeepAlive is { } keepAlive && Took(keepAlive, node) && keepAlive.Index == entry.Index)
            {
                client.KeepAlive = null;
                if (entry.Term == keepAlive.Term && outcome is not null)
                {
                    AnswerKeepAlive(client, keepAlive, (LockCommand.KeepAlive)LockSimNode.Command(entry.Data), outcome);
                }
            }

            if (!Took(client.Proposal, node))
            {
                continue;
            }

            if (client.Phase == LockSimClientPhase.Proposing && client.Proposal.Index == entry.Index)
            {
                if (entry.Term == client.Proposal.Term && outcome is not null)
                {
                    Answer(client, outcome, entry.Index, node.AppliedClockMs);
                }
                else
                {
                    // Another entry took the index: the proposal was lost with its leader's term.
                    client.Proposal.Reset();
                    client.Attempts++;
                }
            }
            else if (client.Phase == LockSimClientPhase.Waiting && outcome is not null)
            {
                Wake(client, outcome, entry.Index, node.AppliedClockMs);
            }
        }
    }

    private static bool Took(LockSimProposal proposal, LockSimNode node) => proposal.Node == node.Id && proposal.NodeIncarnation == node.Incarnation;

    /// <remarks>
    /// An answer can be trusted from its own attempt's send: of one client's proposals, those that commit do so in the order
    /// it sent them (a later one goes to a leader of the same or a higher term; one sent to a lower term after a higher
    /// term's election can never commit), so no earlier retry can apply after the answered one. What it says is left is
    /// counted from the entry's time (<paramref name="clockMs"/>), which is at or after that send.
    /// </remarks>
    private void Answer(LockSimClient client, LockOutcome outcome, long index, long clockMs)
    {
        var sent = client.Proposal.SentMs;
        switch (client.Command, outcome)
        {
            case (_, LockOutcome.Rejected rejected):
                Fail($"{client.Id}'s valid command {client.Command} was rejected: {rejected.Error}");
                break;
            case (LockCommand.Acquire a, LockOutcome.Acquired granted):
                ObserveGrant(client, a, granted.Mode, granted.Token, client.Trust(sent, granted.ExpiresAtMs - clockMs), !granted.AlreadyHeld, index);
                client.BecomeIdle();
                break;
            case (LockCommand.Acquire, LockOutcome.Waiting):
                client.Phase = LockSimClientPhase.Waiting;
                client.SinceTick = Ticks;
                break;
            case (LockCommand.Acquire, LockOutcome.Deadlock):
                DeadlocksRefused++;
                client.BecomeIdle();
                break;
            case (LockCommand.Acquire a, LockOutcome.SessionNotFound):
                SessionGone(client, a.SessionId!.Value, "its acquire");
                client.BecomeIdle();
                break;
            case (LockCommand.Renew r, LockOutcome.Renewed renewed):
                // A renew that answers another token renews a hold the client never saw granted: stop trusting the old one.
                client.Belief = client.Belief is { } b && b.Resource == r.Resource && b.Token == renewed.Token
                    ? b with { TrustedUntilMs = client.Trust(sent, renewed.ExpiresAtMs - clockMs) }
                    : null;
                client.BecomeIdle();
                break;
            case (LockCommand.Renew, LockOutcome.NotHeld):
                client.Belief = null;
                client.BecomeIdle();
                break;
            case (LockCommand.CreateSession, LockOutcome.SessionCreated created):
                OpenedSession(client, created, sent);
                client.BecomeIdle();
                break;
            default:
                // Busy, deadlock, already waiting, released, not held, a session closed or refused: the client is done with it.
                client.BecomeIdle();
                break;
        }
    }

    private void Wake(LockSimClient client, LockOutcome outcome, long index, long clockMs)
    {
        var acquire = (LockCommand.Acquire)client.Command!;
        foreach (var change in outcome.Events)
        {
            if (change.ClientId != client.Id || change.Resource != acquire.Resource)
            {
                continue;
            }

            switch (change)
            {
                case LockEvent.Granted granted:
                    // A lease granted from the queue is counted from the acquire's send; a session's hold lasts as the session.
                    ObserveGrant(client, acquire, granted.Mode, granted.Token, client.Trust(client.Proposal.SentMs, granted.ExpiresAtMs - clockMs), isNew: true, index);
                    client.BecomeIdle();
                    return;
                case LockEvent.WaitTimedOut or LockEvent.WaitCancelled:
                    client.BecomeIdle();
                    return;
                case LockEvent.SessionWaitEnded ended:
                    SessionGone(client, ended.SessionId, "its wait");
                    client.BecomeIdle();
                    return;
                default:
                    break;
            }
        }
    }

    /// <summary>The leader proposes an expiry once its table's next deadline has passed on its clock, one at a time.</summary>
    private void ProposeExpiries()
    {
        foreach (var node in Nodes)
        {
            if (node.Raft is not { Role: RaftRole.Leader } raft || node.PendingExpiryIndex > node.AppliedIndex
                || node.Table.NextDeadlineMs() is not { } due || due > node.LeaderClockMs(NowMs))
            {
                continue;
            }

            var result = raft.Propose(LockSimNode.Envelope(new LockCommand.ExpireDue(0), node.LeaderClockMs(NowMs)));
            if (result.IsAccepted)
            {
                node.PendingExpiryIndex = result.Index;
            }
        }
    }

    protected override long TryProposeMarker()
    {
        if (CurrentLeader() is { Raft: { } raft })
        {
            var result = raft.Propose(MarkerCommand);
            return result.IsAccepted ? result.Index : 0;
        }

        return 0;
    }
}
