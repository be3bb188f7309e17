using DistSync.Node.Consensus;
using DistSync.Raft;
using static DistSync.Tests.Consensus.SnapshotChunkTests;

namespace DistSync.Tests.Consensus;

/// <summary>
/// Reassembly on the receiving side (Raft §7's chunked InstallSnapshot): only a whole snapshot, received in order and
/// matching its checksum, comes out; anything out of order, stale, corrupt or too large is refused without harm.
/// </summary>
public sealed class SnapshotAssemblerTests
{
    private const int ChunkBytes = 1_000;

    [Fact]
    public void Add_ChunksInOrder_CompletesWithTheMessageThatWasCut()
    {
        var install = Install(3_500);
        var assembler = new SnapshotAssembler(maxBytes: 10_000);

        Message? complete = null;
        var outcomes = Chunks(install).Select(c => assembler.Add(c, out complete)).ToList();

        Assert.Equal([SnapshotChunkOutcome.Started, SnapshotChunkOutcome.Continued, SnapshotChunkOutcome.Continued, SnapshotChunkOutcome.Completed], outcomes);
        Assert.Null(assembler.Assembling);
        AssertSameInstall(install, complete!);
    }

    [Fact]
    public void Add_EmptySnapshot_CompletesAtOnce()
    {
        var install = Install(0);
        var assembler = new SnapshotAssembler(maxBytes: 10_000);

        Assert.Equal(SnapshotChunkOutcome.Completed, assembler.Add(Chunks(install)[0], out var complete));
        AssertSameInstall(install, complete!);
    }

    [Fact]
    public void Add_DuplicateChunk_IsIgnoredAndTheSnapshotStillCompletes()
    {
        var install = Install(3_500);
        var chunks = Chunks(install);
        var assembler = new SnapshotAssembler(maxBytes: 10_000);
        assembler.Add(chunks[0], out _);
        assembler.Add(chunks[1], out _);

        Assert.Equal(SnapshotChunkOutcome.Duplicate, assembler.Add(chunks[1], out _));
        Assert.Equal(SnapshotChunkOutcome.Duplicate, assembler.Add(chunks[1] with { }, out _));
        Assert.Equal(2 * ChunkBytes, assembler.ReceivedBytes);
        AssertSameInstall(install, Complete(assembler, chunks.Skip(2)));
    }

    [Fact]
    public void Add_ChunkOutOfOrder_IsRefusedAndTheAssemblyDropped_ARestartCompletes()
    {
        var install = Install(3_500);
        var chunks = Chunks(install);
        var assembler = new SnapshotAssembler(maxBytes: 10_000);
        assembler.Add(chunks[0], out _);

        Assert.Equal(SnapshotChunkOutcome.OutOfOrder, assembler.Add(chunks[2], out _));
        Assert.Null(assembler.Assembling);
        // What follows the gap cannot complete anything: it is refused too.
        Assert.Equal(SnapshotChunkOutcome.OutOfOrder, assembler.Add(chunks[3], out var none));
        Assert.Null(none);

        Assert.Equal(SnapshotChunkOutcome.Started, assembler.Add(chunks[0], out _));
        AssertSameInstall(install, Complete(assembler, chunks.Skip(1)));
    }

    [Fact]
    public void Add_StreamCutShort_NeverCompletes_AndTheNextSnapshotStartsCleanly()
    {
        var first = Chunks(Install(3_500, index: 40, seed: 1));
        var assembler = new SnapshotAssembler(maxBytes: 10_000);
        foreach (var chunk in first.SkipLast(1))
        {
            Assert.NotEqual(SnapshotChunkOutcome.Completed, assembler.Add(chunk, out _));
        }

        Assert.Equal(40, assembler.Assembling!.Index);

        // The sender took a newer snapshot meanwhile and sends that one from its start.
        var newer = Install(2_200, index: 55, seed: 9);
        Assert.Equal(SnapshotChunkOutcome.Started, assembler.Add(Chunks(newer)[0], out _));
        AssertSameInstall(newer, Complete(assembler, Chunks(newer).Skip(1)));
        // The rest of the old one finds nothing to continue.
        Assert.Equal(SnapshotChunkOutcome.OutOfOrder, assembler.Add(first[^1], out _));
    }

    [Fact]
    public void Add_ChunkOfAnOlderTerm_IsRefusedAndTheAssemblyKept()
    {
        var current = Chunks(Install(3_500, term: 5));
        var stale = Chunks(Install(3_500, term: 4, seed: 7));
        var assembler = new SnapshotAssembler(maxBytes: 10_000);
        assembler.Add(current[0], out _);

        Assert.Equal(SnapshotChunkOutcome.Stale, assembler.Add(stale[0], out _));
        Assert.Equal(SnapshotChunkOutcome.Stale, assembler.Add(stale[1], out _));
        Assert.Equal(ChunkBytes, assembler.ReceivedBytes);
        AssertSameInstall(Install(3_500, term: 5), Complete(assembler, current.Skip(1)));

        // Even with nothing in progress: a term once seen is never gone back to.
        Assert.Equal(SnapshotChunkOutcome.Stale, assembler.Add(stale[0], out _));
    }

    [Fact]
    public void Add_SameSnapshotFromANewerTermMidway_RestartsFromItsFirstChunk()
    {
        var assembler = new SnapshotAssembler(maxBytes: 10_000);
        assembler.Add(Chunks(Install(3_500, term: 5))[0], out _);
        var newer = Chunks(Install(3_500, term: 6));

        Assert.Equal(SnapshotChunkOutcome.OutOfOrder, assembler.Add(newer[1], out _));
        Assert.Equal(SnapshotChunkOutcome.Started, assembler.Add(newer[0], out _));
        Assert.Equal(6, Complete(assembler, newer.Skip(1)).Term);
    }

    [Fact]
    public void Add_DamagedData_FailsTheChecksumAndDropsTheAssembly()
    {
        var install = Install(3_500);
        var chunks = Chunks(install);
        var assembler = new SnapshotAssembler(maxBytes: 10_000);
        assembler.Add(chunks[0], out _);
        var damaged = chunks[1].Data.ToArray();
        damaged[17] ^= 0x40;

        Assert.Equal(SnapshotChunkOutcome.ChecksumMismatch, assembler.Add(chunks[1] with { Data = damaged }, out var none));
        Assert.Null(none);
        Assert.Null(assembler.Assembling);
        Assert.Equal(SnapshotChunkOutcome.OutOfOrder, assembler.Add(chunks[2], out _));
    }

    [Fact]
    public void Add_SnapshotLargerThanTheLimit_IsRefusedBeforeAnythingIsHeld()
    {
        var assembler = new SnapshotAssembler(maxBytes: 3_000);

        Assert.Equal(SnapshotChunkOutcome.TooLarge, assembler.Add(Chunks(Install(3_500))[0], out _));
        Assert.Null(assembler.Assembling);
        AssertSameInstall(Install(3_000), Complete(assembler, Chunks(Install(3_000))));
    }

    private static List<SnapshotChunk> Chunks(Message install) => [.. SnapshotChunk.Split(install, ChunkBytes)];

    private static Message Complete(SnapshotAssembler assembler, IEnumerable<SnapshotChunk> chunks)
    {
        Message? complete = null;
        foreach (var chunk in chunks)
        {
            Assert.Null(complete);
            var outcome = assembler.Add(chunk, out complete);
            Assert.True(outcome is SnapshotChunkOutcome.Started or SnapshotChunkOutcome.Continued or SnapshotChunkOutcome.Completed,
                $"chunk at {chunk.Offset}: {outcome}");
        }

        return complete ?? throw new Xunit.Sdk.XunitException("the snapshot did not complete");
    }

    private static void AssertSameInstall(Message expected, Message actual)
    {
        Assert.Equal(MessageType.InstallSnapshot, actual.Type);
        Assert.Equal((expected.From, expected.To, expected.Term, expected.Index, expected.LogTerm, expected.Commit),
            (actual.From, actual.To, actual.Term, actual.Index, actual.LogTerm, actual.Commit));
        Assert.Equal(expected.Snapshot!.Metadata.Voters, actual.Snapshot!.Metadata.Voters);
        Assert.Equal((expected.Snapshot.Metadata.Index, expected.Snapshot.Metadata.Term), (actual.Snapshot.Metadata.Index, actual.Snapshot.Metadata.Term));
        Assert.Equal(expected.Snapshot.Data, actual.Snapshot.Data);
    }
}
