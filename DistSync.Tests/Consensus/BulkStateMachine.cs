using System.Buffers.Binary;
using DistSync.Node.Consensus;

namespace DistSync.Tests.Consensus;

/// <summary>
/// A synthetic state machine with a big snapshot: it counts and sums the 8-byte commands it applies, and its snapshot
/// is those two numbers followed by 4 KiB blocks up to <c>snapshotBytes</c>, each stamped with its position and filled
/// with a byte derived from the state and the position (built and checked at memory speed, like a real serialiser).
/// Restore checks every block, so a snapshot that arrived damaged, short or out of order shows in
/// <see cref="RestoredIntact"/> (a throw would stop the host's loop, and with it the test process).
/// </summary>
internal sealed class BulkStateMachine(int snapshotBytes) : IReplicatedStateMachine<long, long>
{
    public const byte MachineTag = 77;
    private const int HeaderBytes = 16;
    private const int BlockBytes = 4096;

    private long _count;
    private long _sum;
    private long _restoredBytes;
    private int _restoredIntact = 1;

    public byte Tag => MachineTag;

    public long Count => Interlocked.Read(ref _count);

    public long Sum => Interlocked.Read(ref _sum);

    /// <summary>Size of the last non-empty snapshot restored (0 if none).</summary>
    public long RestoredBytes => Interlocked.Read(ref _restoredBytes);

    public bool RestoredIntact => Volatile.Read(ref _restoredIntact) == 1;

    public static byte[] Command(long value)
    {
        var command = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(command, value);
        return command;
    }

    public byte[] Encode(long command) => Command(command);

    public long Apply(long index, long clockMs, ReadOnlySpan<byte> command)
    {
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, BinaryPrimitives.ReadInt64LittleEndian(command));
        return Count;
    }

    public byte[] Snapshot()
    {
        var data = GC.AllocateUninitializedArray<byte>(snapshotBytes);
        BinaryPrimitives.WriteInt64LittleEndian(data, Count);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), Sum);
        var seed = Seed(Count, Sum);
        var blocks = data.AsSpan(HeaderBytes);
        for (long block = 0; !blocks.IsEmpty; block++)
        {
            var length = Math.Min(BlockBytes, blocks.Length);
            BinaryPrimitives.WriteInt64LittleEndian(blocks, block ^ seed);
            blocks[8..length].Fill(Fill(block, seed));
            blocks = blocks[length..];
        }

        return data;
    }

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        if (snapshot.IsEmpty)
        {
            Interlocked.Exchange(ref _count, 0);
            Interlocked.Exchange(ref _sum, 0);
            return;
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(snapshot);
        var sum = BinaryPrimitives.ReadInt64LittleEndian(snapshot[8..]);
        var seed = Seed(count, sum);
        var intact = snapshot.Length == snapshotBytes;
        var blocks = snapshot[HeaderBytes..];
        for (long block = 0; intact && !blocks.IsEmpty; block++)
        {
            var length = Math.Min(BlockBytes, blocks.Length);
            intact = BinaryPrimitives.ReadInt64LittleEndian(blocks) == (block ^ seed) && blocks[8..length].IndexOfAnyExcept(Fill(block, seed)) < 0;
            blocks = blocks[length..];
        }

        Interlocked.Exchange(ref _count, count);
        Interlocked.Exchange(ref _sum, sum);
        Interlocked.Exchange(ref _restoredBytes, snapshot.Length);
        Volatile.Write(ref _restoredIntact, intact ? 1 : 0);
    }

    private static long Seed(long count, long sum) => (count * 0x5851F42D4C957F2DL) ^ sum;

    private static byte Fill(long block, long seed) => (byte)((block * 31) ^ seed);
}
