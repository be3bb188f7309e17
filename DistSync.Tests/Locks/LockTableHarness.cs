using DistSync.Node.Locks;

namespace DistSync.Tests.Locks;

/// <summary>Drives a <see cref="LockTable"/> the way the host does: consecutive log indices, a leader-chosen clock.</summary>
internal sealed class LockTableHarness(bool checkInvariants = true)
{
    public const string R = "orders";
    public const long Start = 1_000_000;

    public LockTable Table { get; } = new();
    public long Index { get; private set; }
    public long NowMs { get; set; } = Start;

    public LockOutcome Apply(LockCommand command)
    {
        Index++;
        var outcome = Table.Apply(command, Index);
        if (checkInvariants)
        {
            Table.CheckInvariants();
        }

        return outcome;
    }

    public LockOutcome Acquire(string client, LockMode mode, long waitMs = 0, long ttlMs = LockLimits.DefaultTtlMs, string resource = R) =>
        Apply(new LockCommand.Acquire(resource, client, mode, ttlMs, waitMs, NowMs));

    public LockOutcome Shared(string client, long waitMs = 0, string resource = R) => Acquire(client, LockMode.Shared, waitMs, resource: resource);

    public LockOutcome Exclusive(string client, long waitMs = 0, string resource = R) => Acquire(client, LockMode.Exclusive, waitMs, resource: resource);

    public LockOutcome Release(string client, string resource = R) => Apply(new LockCommand.Release(resource, client, NowMs));

    public LockOutcome Renew(string client, long ttlMs, string resource = R) => Apply(new LockCommand.Renew(resource, client, ttlMs, NowMs));

    public LockOutcome ExpireDue() => Apply(new LockCommand.ExpireDue(NowMs));

    /// <summary>The token that opens sessions in these tests.</summary>
    public const string Owner = "app";

    public LockOutcome CreateSession(long ttlMs = 10_000, string owner = Owner, string? requestId = null) =>
        Apply(new LockCommand.CreateSession(owner, ttlMs, NowMs) { RequestId = requestId });

    /// <summary>Opens a session and returns its id.</summary>
    public long OpenSession(long ttlMs = 10_000, string owner = Owner) => ((LockOutcome.SessionCreated)CreateSession(ttlMs, owner)).SessionId;

    public LockOutcome KeepAlive(long sessionId, string owner = Owner) => Apply(new LockCommand.KeepAlive(sessionId, owner, NowMs));

    public LockOutcome CloseSession(long sessionId, string owner = Owner) => Apply(new LockCommand.CloseSession(sessionId, owner, NowMs));

    /// <summary>An acquire whose hold and wait belong to the session.</summary>
    public LockOutcome AcquireIn(long sessionId, string client, LockMode mode, long waitMs = 0, string resource = R, string owner = Owner) =>
        Apply(new LockCommand.Acquire(resource, client, mode, 0, waitMs, NowMs) { SessionId = sessionId, Owner = owner });

    public LockResourceState State(string resource = R) => Table.GetState(resource) ?? throw new InvalidOperationException($"{resource} is not in the table");

    public string[] HolderIds(string resource = R) => [.. State(resource).Holders.Select(h => h.ClientId)];

    public string[] WaiterIds(string resource = R) => [.. State(resource).Waiters.Select(w => w.ClientId)];
}
