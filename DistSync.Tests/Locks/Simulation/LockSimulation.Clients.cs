using DistSync.Node.Locks;
using DistSync.Raft;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>The simulated clients and the leader's expiry proposals: what drives the lock table.</summary>
internal sealed partial class LockSimulation
{
    private const int ClientCount = 5;

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
        if (client.Belief is { } belief)
        {
            if (roll < 0.08)
            {
                // A releasing client stops relying on the lock as soon as it asks to release.
                client.Belief = null;
                client.StartProposal(new LockCommand.Release(belief.Resource, client.Id, NowMs), Ticks);
            }
            else if (roll < 0.2)
            {
                // A renew may shorten the lease (a smaller ttl) and may apply before its answer arrives, so the client
                // trusts only the shorter of the two leases until it is answered.
                var renew = new LockCommand.Renew(belief.Resource, client.Id, RandomTtl(), NowMs);
                client.Belief = belief with { ExpiresAtMs = Math.Min(belief.ExpiresAtMs, renew.NowMs + renew.TtlMs) };
                client.StartProposal(renew, Ticks);
            }
            else if (roll < 0.26 && belief.Mode == LockMode.Shared)
            {
                // Upgrade: granted at once to a sole holder (with a new lease, so trust the shorter one meanwhile), else
                // queued while the shared hold stays; two upgrading holders make the second a deadlock.
                var upgrade = new LockCommand.Acquire(belief.Resource, client.Id, LockMode.Exclusive, RandomTtl(), RandomWaitMs(), NowMs);
                client.Belief = belief with { ExpiresAtMs = Math.Min(belief.ExpiresAtMs, upgrade.NowMs + upgrade.TtlMs) };
                client.StartProposal(upgrade, Ticks);
            }

            // Otherwise it keeps working under the lock, or lets the lease lapse.
        }
        else if (roll < 0.25)
        {
            var resource = Resources[Random.Next(Resources.Length)];
            var mode = Random.Next(3) == 0 ? LockMode.Shared : LockMode.Exclusive;
            client.StartProposal(new LockCommand.Acquire(resource, client.Id, mode, RandomTtl(), RandomWaitMs(), NowMs), Ticks);
        }

        if (client.Phase == LockSimClientPhase.Proposing)
        {
            TryPropose(client);
        }
    }

    private long RandomTtl() => (5 + Random.Next(40)) * MsPerTick;

    private long RandomWaitMs() => Random.Next(3) == 0 ? 0 : (5 + Random.Next(30)) * MsPerTick;

    private void ActProposing(LockSimClient client)
    {
        if (client.Node is not null && (NodeForgot(client) || Ticks - client.SinceTick > ProposalTimeoutTicks))
        {
            // The outcome is unknown (the node crashed, or lost office and never applied it): ask again.
            client.Node = null;
            client.Attempts++;
        }

        if (client.Node is null)
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
        if (NodeForgot(client) || Ticks > giveUpTick)
        {
            // The node holding the wait is gone or silent: repeat the acquire elsewhere (a repeat answers its place).
            client.StartProposal(acquire with { NowMs = NowMs }, Ticks);
            TryPropose(client);
        }
    }

    private bool NodeForgot(LockSimClient client) =>
        _byId[client.Node!] is var node && (!node.IsUp || node.Incarnation != client.NodeIncarnation);

    /// <summary>Sends the client's command to a node, following its leader hint once; on refusal it tries next tick.</summary>
    private void TryPropose(LockSimClient client)
    {
        var node = Nodes[Random.Next(NodeCount)];
        var command = client.Command! with { NowMs = NowMs };
        client.Command = command;
        // Only a leader accepts, and it stamps its time, as RaftHost does.
        var data = LockSimNode.Envelope(command, NowMs);
        for (var hop = 0; hop < 2 && node.Raft is { } raft; hop++)
        {
            var result = raft.Propose(data);
            if (result.IsAccepted)
            {
                client.Node = node.Id;
                client.NodeIncarnation = node.Incarnation;
                client.Index = result.Index;
                client.Term = result.Term;
                client.SinceTick = Ticks;
                return;
            }

            if (result.LeaderHint is not { } hint || !_byId.TryGetValue(hint, out var next) || next == node)
            {
                return;
            }

            node = next;
        }
    }

    /// <summary>A node applied an entry: answer the client that proposed it there, and wake clients waiting there.</summary>
    private void NotifyClients(LockSimNode node, Entry entry, LockOutcome? outcome)
    {
        foreach (var client in _clients)
        {
            if (client.Node != node.Id || client.NodeIncarnation != node.Incarnation)
            {
                continue;
            }

            if (client.Phase == LockSimClientPhase.Proposing && client.Index == entry.Index)
            {
                if (entry.Term == client.Term && outcome is not null)
                {
                    Answer(client, outcome, entry.Index);
                }
                else
                {
                    // Another entry took the index: the proposal was lost with its leader's term.
                    client.Node = null;
                    client.Attempts++;
                }
            }
            else if (client.Phase == LockSimClientPhase.Waiting && outcome is not null)
            {
                Wake(client, outcome, entry.Index);
            }
        }
    }

    /// <remarks>
    /// An answer's lease can be trusted as is: of one client's proposals, those that commit do so in the order it sent
    /// them (a later one goes to a leader of the same or a higher term; one sent to a lower term after a higher term's
    /// election can never commit), so no earlier retry can apply after the answered one.
    /// </remarks>
    private void Answer(LockSimClient client, LockOutcome outcome, long index)
    {
        switch (client.Command, outcome)
        {
            case (_, LockOutcome.Rejected rejected):
                Fail($"{client.Id}'s valid command {client.Command} was rejected: {rejected.Error}");
                break;
            case (LockCommand.Acquire a, LockOutcome.Acquired granted):
                ObserveGrant(client, a.Resource, granted.Mode, granted.Token, granted.ExpiresAtMs, !granted.AlreadyHeld, index);
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
            case (LockCommand.Renew r, LockOutcome.Renewed renewed):
                // A renew that answers another token renews a hold the client never saw granted: stop trusting the old one.
                client.Belief = client.Belief is { } b && b.Resource == r.Resource && b.Token == renewed.Token
                    ? b with { ExpiresAtMs = renewed.ExpiresAtMs }
                    : null;
                client.BecomeIdle();
                break;
            case (LockCommand.Renew, LockOutcome.NotHeld):
                client.Belief = null;
                client.BecomeIdle();
                break;
            default:
                // Busy, deadlock, already waiting, released, not held: the client is done with this request.
                client.BecomeIdle();
                break;
        }
    }

    private void Wake(LockSimClient client, LockOutcome outcome, long index)
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
                    ObserveGrant(client, granted.Resource, granted.Mode, granted.Token, granted.ExpiresAtMs, isNew: true, index);
                    client.BecomeIdle();
                    return;
                case LockEvent.WaitTimedOut or LockEvent.WaitCancelled:
                    client.BecomeIdle();
                    return;
                default:
                    break;
            }
        }
    }

    /// <summary>The leader proposes an expiry once its table's next deadline has passed, one at a time.</summary>
    private void ProposeExpiries()
    {
        foreach (var node in Nodes)
        {
            if (node.Raft is not { Role: RaftRole.Leader } raft || node.PendingExpiryIndex > node.AppliedIndex
                || node.Table.NextDeadlineMs() is not { } due || due > NowMs)
            {
                continue;
            }

            var result = raft.Propose(LockSimNode.Envelope(new LockCommand.ExpireDue(0), NowMs));
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
