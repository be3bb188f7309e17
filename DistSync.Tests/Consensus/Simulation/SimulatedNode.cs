using System.Buffers.Binary;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>
/// One node of the simulation: its disk, its (maybe crashed) Raft core, and a toy state machine whose
/// state is a hash chain of applied entries, so any divergence in applied history shows up.
/// </summary>
internal sealed class SimulatedNode(string id, RaftOptions options) : ISimulatedHost
{
    public string Id { get; } = id;

    public RaftOptions Options { get; } = options;

    public SimulatedStorage Storage { get; } = new();

    public RaftNode? Raft { get; private set; }

    public bool IsUp => Raft is not null;

    public long AppliedIndex { get; private set; }

    public ulong StateHash { get; private set; }

    /// <summary>Writes handed over and not yet done; a crash loses them.</summary>
    public SimulatedWalWriter Writer { get; } = new();

    public void Start(Random random)
    {
        var persisted = Storage.Load();
        Writer.Reset(persisted.HardState);
        Raft = new RaftNode(Options, persisted, random);
        (AppliedIndex, StateHash) = persisted.Snapshot is { } snapshot ? DecodeState(snapshot.Data) : (0, 0UL);
    }

    public void Crash()
    {
        Raft = null;
        Writer.Reset(Storage.HardState);
    }

    public void RestoreFrom(Snapshot snapshot) => (AppliedIndex, StateHash) = DecodeState(snapshot.Data);

    public void Apply(Entry entry)
    {
        if (entry.Index != AppliedIndex + 1)
        {
            throw new InvalidOperationException($"{Id} applies entry {entry.Index} after {AppliedIndex}.");
        }

        AppliedIndex = entry.Index;
        StateHash = Mix(StateHash, EntryKey(entry));
    }

    public byte[] EncodeState()
    {
        var data = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(data, AppliedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8), StateHash);
        return data;
    }

    private static (long Index, ulong Hash) DecodeState(byte[] data) =>
        (BinaryPrimitives.ReadInt64LittleEndian(data), BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(8)));

    /// <summary>Identifies an entry's content: the command's unique number, or minus the term for an empty entry.</summary>
    public static long EntryKey(Entry entry) =>
        entry.Type == EntryType.Command ? BinaryPrimitives.ReadInt64LittleEndian(entry.Data) : -entry.Term;

    private static ulong Mix(ulong hash, long key)
    {
        unchecked
        {
            var x = hash ^ (ulong)key;
            x *= 0x9E3779B97F4A7C15UL;
            return (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9UL;
        }
    }
}
