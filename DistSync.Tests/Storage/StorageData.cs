using System.Text;
using DistSync.Node.Storage;
using DistSync.Raft;

namespace DistSync.Tests.Storage;

/// <summary>Builders and assertions shared by the storage tests.</summary>
internal static class StorageData
{
    public static readonly RaftStorageOptions Fast = new() { SyncToDisk = false };

    /// <summary>No zero-filled space ahead of the frames: the log ends where the file ends, as in logs written before preallocation.</summary>
    public static readonly RaftStorageOptions Appending = new() { SyncToDisk = false, PreallocateBytes = 0 };

    /// <summary>Where the frames of a segment end: the first offset that holds no valid frame.</summary>
    public static long EndOfFrames(string segmentPath)
    {
        var bytes = File.ReadAllBytes(segmentPath);
        var salt = WalFormat.TryReadSegmentHeader(bytes, segmentPath)!.Value.Salt;
        var offset = WalFormat.SegmentHeaderBytes;
        while (WalFormat.TryReadFrame(bytes, offset, salt) is var payload and >= 0)
        {
            offset += payload + WalFormat.FrameOverhead;
        }

        return offset;
    }

    public static Entry Command(long index, long term, string text = "") =>
        new(index, term, EntryType.Command, Encoding.UTF8.GetBytes(text.Length == 0 ? $"cmd-{index}-{term}" : text));

    public static List<Entry> Range(long first, long last, long term) =>
        [.. Enumerable.Range(0, (int)(last - first + 1)).Select(i => Command(first + i, term))];

    public static WalLoadResult Reopen(string directory, RaftStorageOptions? options = null)
    {
        using var storage = new RaftStorage(directory, options);
        return storage.Load();
    }

    public static void AssertEntries(IReadOnlyList<Entry> expected, IReadOnlyList<Entry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Index, actual[i].Index);
            Assert.Equal(expected[i].Term, actual[i].Term);
            Assert.Equal(expected[i].Type, actual[i].Type);
            Assert.Equal(expected[i].Data, actual[i].Data);
        }
    }

    public static void FlipBit(string path, long offset, int bit = 0)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= (byte)(1 << bit);
        File.WriteAllBytes(path, bytes);
    }
}
