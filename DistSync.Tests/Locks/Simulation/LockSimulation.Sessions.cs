using DistSync.Node.Locks;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// Session clients: they open a session, keep it alive beside their other requests (early or late), and trust it, and
/// every hold of it, for the TTL from their last acknowledged keep-alive's send, less the margin. The contract under test:
/// the session never ends while its client still trusts it.
/// </summary>
internal sealed partial class LockSimulation
{
    /// <summary>1 to 2 s: the shortest sessions the table takes, so they live and end many times in a run.</summary>
    private long RandomSessionTtl() => LockLimits.MinSessionTtlMs + (Random.Next(100) * MsPerTick);

    /// <summary>
    /// Beside its other requests, a session client keeps its session alive, at times from a quarter of its TTL after the
    /// last keep-alive to just before the end of its count (a keep-alive late past what the server grants is then refused while
    /// the client still trusts the session, which the checker catches). It stops trusting the session, and every hold of
    /// it, once its own count of the last acknowledged keep-alive runs out.
    /// </summary>
    private void KeepSessionAlive(LockSimClient client)
    {
        if (client.SessionId is not { } session)
        {
            return;
        }

        if (NowMs >= client.SessionTrustedUntilMs)
        {
            client.ForgetSession();
            return;
        }

        if (client.KeepAlive is { } inFlight && (inFlight.Node is null || NodeForgot(inFlight) || Ticks - inFlight.SinceTick > ProposalTimeoutTicks))
        {
            client.KeepAlive = null;
        }

        if (client.KeepAlive is null && NowMs >= client.NextKeepAliveMs)
        {
            var proposal = new LockSimProposal();
            if (TrySend(proposal, new LockCommand.KeepAlive(session, LockSimClient.Owner, NowMs)))
            {
                client.KeepAlive = proposal;
                client.NextKeepAliveMs = NextKeepAlive(client, NowMs);
            }
        }
    }

    /// <summary>From a quarter of the TTL after this send to just before the client's count of it runs out (2 % short of the TTL).</summary>
    private double NextKeepAlive(LockSimClient client, long sentMs) => sentMs + (client.SessionTtlMs * (0.25 + (Random.NextDouble() * 0.72)) / client.DriftRate);

    private void OpenedSession(LockSimClient client, LockOutcome.SessionCreated created, long sent)
    {
        if (client.SessionId is not null)
        {
            return; // cannot happen: a client opens a session only when it has none
        }

        client.SessionId = created.SessionId;
        client.SessionTtlMs = created.TtlMs;
        client.SessionTrustedUntilMs = client.Trust(sent, created.TtlMs);
        client.NextKeepAliveMs = NextKeepAlive(client, sent);
        SessionsOpened++;
    }

    private void AnswerKeepAlive(LockSimClient client, LockSimProposal keepAlive, LockCommand.KeepAlive command, LockOutcome outcome)
    {
        switch (outcome)
        {
            case LockOutcome.SessionKeptAlive kept when client.SessionId == kept.SessionId:
                // The contract the typed client relies on: a session lasts its TTL past the keep-alive's applied time, so it
                // counts the TTL from the send (not what the answer says is left, which would hide a server that grants less).
                client.SessionTrustedUntilMs = Math.Max(client.SessionTrustedUntilMs, client.Trust(keepAlive.SentMs, client.SessionTtlMs));
                KeepAlivesAnswered++;
                break;
            case LockOutcome.SessionNotFound:
                SessionGone(client, command.SessionId, "a keep-alive");
                break;
            case LockOutcome.Rejected rejected:
                Fail($"{client.Id}'s keep-alive was rejected: {rejected.Error}");
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// The client learned that its session is gone. Only its own close or its expiry can end it, and the client stops
    /// trusting it before either: so if it still trusts it, the session ended before its time.
    /// </summary>
    private void SessionGone(LockSimClient client, long sessionId, string how)
    {
        if (client.SessionId != sessionId)
        {
            return;
        }

        if (NowMs < client.SessionTrustedUntilMs)
        {
            Fail($"session safety: {client.Id} learned by {how} that session {sessionId} ended, while its count from the last acknowledged keep-alive runs until {client.SessionTrustedUntilMs:F0}");
        }

        client.ForgetSession();
    }
}
