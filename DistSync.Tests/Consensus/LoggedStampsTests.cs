using DistSync.Node.Consensus;
using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>A node that becomes leader starts its clock from the stamps its log holds, never from one it lost.</summary>
public sealed class LoggedStampsTests
{
    private static Entry Stamped(long index, long term, long stampMs) =>
        new(index, term, EntryType.Command, CommandEnvelope.Stamp(CommandEnvelope.Encode(1, index, [0]), stampMs));

    [Fact]
    public void NewestUnappliedMs_EntriesWrittenInOrder_IsTheirNewestStamp()
    {
        var stamps = new LoggedStamps();

        stamps.Logged([Stamped(1, 1, 100), Stamped(2, 1, 250), Entry.EmptyAt(3, 2), Stamped(4, 2, 200)]);

        Assert.Equal(250, stamps.NewestUnappliedMs);
    }

    [Fact]
    public void Logged_EntriesOverwritingATail_ForgetsTheStampsOfTheEntriesTheyReplace()
    {
        // A deposed leader's entries 3-4 carried its clock, which ran on while the others elected; the new leader's
        // entries take their indices, with the stamps of the clock the cluster kept.
        var stamps = new LoggedStamps();
        stamps.Logged([Stamped(1, 1, 100), Stamped(2, 1, 110), Stamped(3, 1, 900), Stamped(4, 1, 950)]);

        stamps.Logged([Stamped(3, 2, 120)]);

        Assert.Equal(120, stamps.NewestUnappliedMs);
    }

    [Fact]
    public void Applied_EntriesUpToAnIndex_LeaveOnlyTheStampsAboveIt()
    {
        var stamps = new LoggedStamps();
        stamps.Logged([Stamped(1, 1, 300), Stamped(2, 1, 200), Stamped(3, 1, 250)]);

        stamps.Applied(2);

        Assert.Equal(250, stamps.NewestUnappliedMs);
        stamps.Applied(3);
        Assert.Null(stamps.NewestUnappliedMs);
    }

    [Fact]
    public void Logged_EntriesAtOrBelowTheAppliedIndex_AreNotCounted()
    {
        var stamps = new LoggedStamps();
        stamps.Applied(5);

        stamps.Logged([Stamped(5, 1, 700), Stamped(6, 1, 600)]);

        Assert.Equal(600, stamps.NewestUnappliedMs);
    }

    [Fact]
    public void Restored_ASnapshotReplacingTheLog_ForgetsEveryStamp()
    {
        var stamps = new LoggedStamps();
        stamps.Logged([Stamped(7, 1, 900), Stamped(8, 1, 950)]);

        stamps.Restored(20);
        stamps.Logged([Stamped(8, 2, 10)]);

        Assert.Null(stamps.NewestUnappliedMs);
    }
}
