using DistSync.Node.Consensus;
using DistSync.Node.Locks;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// One node of the lock simulation: its disk, its maybe-crashed Raft core and the real <see cref="LockTable"/> fed the
/// committed entries. A crash keeps only the disk.
/// </summary>
internal sealed class LockSimNode(string id, RaftOptions options) : SimulatedRaftHost(id, options)
{
    /// <summary>Counts starts, so a client can tell that the node it waits on restarted and forgot its request.</summary>
    public int Incarnation { get; private set; }

    public LockTable Table { get; private set; } = new();

    /// <summary>The index of the last expiry this node proposed as leader, so it proposes one at a time.</summary>
    public long PendingExpiryIndex { get; set; }

    protected override void OnStarted(Snapshot? snapshot)
    {
        Incarnation++;
        PendingExpiryIndex = 0;
        if (snapshot is not null)
        {
            RestoreFrom(snapshot);
        }
        else
        {
            Table = new LockTable();
            AppliedIndex = 0;
        }
    }

    public override void RestoreFrom(Snapshot snapshot)
    {
        Table = LockTable.Restore(snapshot.Data);
        AppliedIndex = snapshot.Metadata.Index;
    }

    public override byte[] EncodeState() => Table.Serialize();

    /// <summary>Applies one committed entry; an empty entry (a new leader's) only moves the applied index.</summary>
    public LockOutcome? Apply(Entry entry)
    {
        MarkApplied(entry);
        return entry.Type == EntryType.Command ? Table.Apply(Command(entry.Data), entry.Index) : null;
    }

    /// <summary>A command as the leader appends it: in the host's envelope, carrying the leader's time.</summary>
    public static byte[] Envelope(LockCommand command, long leaderTimeMs) =>
        CommandEnvelope.Stamp(CommandEnvelope.Encode(LockStateMachine.CommandTag, 0, LockCommandCodec.Encode(command)), leaderTimeMs);

    /// <summary>An entry's command at the time it applies: its leader's stamp, as <see cref="LockStateMachine"/> reads it.</summary>
    public static LockCommand Command(byte[] data)
    {
        if (!CommandEnvelope.TryDecode(data, out _, out _, out var stamp, out var payload))
        {
            throw new InvalidOperationException("not a command envelope");
        }

        return LockCommandCodec.Decode(payload) with { NowMs = stamp ?? 0 };
    }
}
