using DistSync.Node.Consensus;
using DistSync.Node.Locks;
using DistSync.Raft;
using DistSync.Tests.Consensus.Simulation;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Locks.Simulation;

/// <summary>
/// One node of the lock simulation: its disk (the Raft simulator's <see cref="SimulatedStorage"/>), its maybe-crashed
/// Raft core and the real <see cref="LockTable"/> fed the committed entries. A crash keeps only the disk.
/// </summary>
internal sealed class LockSimNode(string id, RaftOptions options) : ISimulatedHost
{
    public string Id { get; } = id;

    public SimulatedStorage Storage { get; } = new();

    /// <summary>Writes handed over and not yet done, as the host's WAL writer holds them; a crash loses them.</summary>
    public SimulatedWalWriter Writer { get; } = new();

    public RaftNode? Raft { get; private set; }

    public bool IsUp => Raft is not null;

    /// <summary>Counts starts, so a client can tell that the node it waits on restarted and forgot its request.</summary>
    public int Incarnation { get; private set; }

    public LockTable Table { get; private set; } = new();

    public long AppliedIndex { get; private set; }

    /// <summary>The index of the last expiry this node proposed as leader, so it proposes one at a time.</summary>
    public long PendingExpiryIndex { get; set; }

    public void Start(Random random)
    {
        var persisted = Storage.Load();
        Writer.Reset(persisted.HardState);
        Raft = new RaftNode(options, persisted, random);
        Incarnation++;
        PendingExpiryIndex = 0;
        if (persisted.Snapshot is { } snapshot)
        {
            RestoreFrom(snapshot);
        }
        else
        {
            Table = new LockTable();
            AppliedIndex = 0;
        }
    }

    public void Crash()
    {
        Raft = null;
        Writer.Reset(Storage.HardState);
    }

    public void RestoreFrom(Snapshot snapshot)
    {
        Table = LockTable.Restore(snapshot.Data);
        AppliedIndex = snapshot.Metadata.Index;
    }

    /// <summary>Applies one committed entry; an empty entry (a new leader's) only moves the applied index.</summary>
    public LockOutcome? Apply(Entry entry)
    {
        if (entry.Index != AppliedIndex + 1)
        {
            throw new InvalidOperationException($"{Id} applies entry {entry.Index} after {AppliedIndex}.");
        }

        AppliedIndex = entry.Index;
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
