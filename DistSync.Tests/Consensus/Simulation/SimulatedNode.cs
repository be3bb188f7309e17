using System.Buffers.Binary;
using DistSync.Raft;
using DistSync.Tests.Infrastructure.Simulation;

namespace DistSync.Tests.Consensus.Simulation;

/// <summary>
/// One node of the simulation: its disk, its (maybe crashed) Raft core, and a toy state machine whose
/// state is a hash chain of applied entries, so any divergence in applied history shows up.
/// </summary>
internal sealed class SimulatedNode(string id, RaftOptions options) : SimulatedRaftHost(id, options)
{
    public ulong StateHash { get; private set; }

    public override void RestoreFrom(Snapshot snapshot) => (AppliedIndex, StateHash) = DecodeState(snapshot.Data);

    protected override void OnStarted(PersistedState persisted) =>
        (AppliedIndex, StateHash) = persisted.Snapshot is { } snapshot ? DecodeState(snapshot.Data) : (0, 0UL);

    public void Apply(Entry entry)
    {
        MarkApplied(entry);
        StateHash = Mix(StateHash, EntryKey(entry));
    }

    public override byte[] EncodeState()
    {
        var data = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(data, AppliedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8), StateHash);
        return data;
    }

    private static (long Index, ulong Hash) DecodeState(byte[] data) =>
        (BinaryPrimitives.ReadInt64LittleEndian(data), BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(8)));

    /// <summary>
    /// Identifies an entry's content: the command's unique number, minus the term for an empty entry, or for a
    /// configuration change a negative number below every term, from a hash of its bytes.
    /// </summary>
    public static long EntryKey(Entry entry) => entry.Type switch
    {
        EntryType.Command => BinaryPrimitives.ReadInt64LittleEndian(entry.Data),
        EntryType.ConfigChange => -(1L << 40) - (long)(System.IO.Hashing.XxHash32.HashToUInt32(entry.Data)),
        _ => -entry.Term,
    };

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
