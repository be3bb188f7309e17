using DistSync.Raft;

namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// A simulated machine running one Raft core as the node's host does: a disk (<see cref="SimulatedStorage"/>), a WAL
/// writer that finishes writes later (<see cref="SimulatedWalWriter"/>) and a state machine fed the committed entries.
/// A crash keeps only the disk; a start rebuilds the core and the state machine from it. Subclasses supply the state
/// machine.
/// </summary>
internal abstract class SimulatedRaftHost(string id, RaftOptions options) : ISimulatedHost
{
    public string Id { get; } = id;

    public RaftOptions Options { get; } = options;

    public SimulatedStorage Storage { get; } = new();

    /// <summary>Writes handed over and not yet done, as the host's WAL writer holds them; a crash loses them.</summary>
    public SimulatedWalWriter Writer { get; } = new();

    public RaftNode? Raft { get; private set; }

    public bool IsUp => Raft is not null;

    public long AppliedIndex { get; protected set; }

    public void Start(Random random)
    {
        var persisted = Storage.Load();
        Writer.Reset(persisted.HardState);
        Raft = new RaftNode(Options, persisted, random);
        OnStarted(persisted);
    }

    public void Crash()
    {
        Raft = null;
        Writer.Reset(Storage.HardState);
    }

    /// <summary>Replaces the state machine with a snapshot's (installed from the leader).</summary>
    public abstract void RestoreFrom(Snapshot snapshot);

    /// <summary>The state machine as a snapshot holds it, for compaction.</summary>
    public abstract byte[] EncodeState();

    /// <summary>
    /// What the host notes of a Ready as it takes it, before writing or applying anything: the Ready's entries (after its
    /// snapshot, if it has one) are now the log's tail. Nothing by default; a host that keeps a leader clock tracks the
    /// stamps its log holds here, as RaftHost's loop does.
    /// </summary>
    public virtual void Logged(Ready ready)
    {
    }

    /// <summary>After a start: the state machine from the persisted snapshot (or empty without one); the log it loaded, for a host that reads it.</summary>
    protected abstract void OnStarted(PersistedState persisted);

    /// <summary>Moves the applied index to <paramref name="entry"/>, which must be the next one: entries apply once, in order.</summary>
    protected void MarkApplied(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Index != AppliedIndex + 1)
        {
            throw new InvalidOperationException($"{Id} applies entry {entry.Index} after {AppliedIndex}.");
        }

        AppliedIndex = entry.Index;
    }
}
