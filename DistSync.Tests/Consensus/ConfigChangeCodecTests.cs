using DistSync.Raft;

namespace DistSync.Tests.Consensus;

/// <summary>The configuration-change entry's format and learners in the peer codec's snapshots; formats written before still read.</summary>
public sealed class ConfigChangeCodecTests
{
    /// <summary>An InstallSnapshot (voters node1..node3, no learners) as the codec wrote it before learners existed.</summary>
    internal const string InstallSnapshotBeforeLearners =
        "09056E6F646531056E6F6465320302646600020000640203056E6F646531056E6F646532056E6F6465330409080706";

    internal static Message Install(IReadOnlyList<string> learners) => new()
    {
        Type = MessageType.InstallSnapshot, From = "node1", To = "node2", Term = 3, Index = 100, LogTerm = 2, Commit = 102,
        Snapshot = new Snapshot(new SnapshotMetadata(100, 2, ["node1", "node2", "node3"], learners), [9, 8, 7, 6]),
    };

    private static readonly RaftConfiguration After = new(["node1", "node2", "nöde3"], ["node4"]);

    [Fact]
    public void Decode_EncodedChange_RoundTripsChangeAndConfiguration()
    {
        var change = ConfigChange.AddLearner("node4", "http://127.0.0.1:8004"u8.ToArray());

        var decoded = ConfigChange.Decode(change.Encode(After), out var after);

        Assert.Equal((change.Type, change.NodeId), (decoded.Type, decoded.NodeId));
        Assert.Equal(change.Context, decoded.Context);
        Assert.Equal(After.Voters, after.Voters);
        Assert.Equal(After.Learners, after.Learners);
    }

    [Theory]
    [InlineData(ConfigChangeType.Promote)]
    [InlineData(ConfigChangeType.Remove)]
    public void Decode_EveryType_RoundTrips(ConfigChangeType type)
    {
        var change = new ConfigChange(type, "node4", []);

        Assert.Equal(change.Type, ConfigChange.Decode(change.Encode(After)).Type);
    }

    [Fact]
    public void Encode_StartsWithItsVersion()
    {
        Assert.Equal(MessageCodec.ConfigChangeVersion, ConfigChange.Remove("node2").Encode(After)[0]);
    }

    [Fact]
    public void Decode_UnknownVersionOrType_ThrowsFormatException()
    {
        var bytes = ConfigChange.Remove("node2").Encode(After);

        var version = (byte[])bytes.Clone();
        version[0] = 2;
        var type = (byte[])bytes.Clone();
        type[1] = 9;

        Assert.Throws<FormatException>(() => ConfigChange.Decode(version));
        Assert.Throws<FormatException>(() => ConfigChange.Decode(type));
    }

    [Fact]
    public void Decode_EveryTruncationAndATrailingByte_ThrowFormatException()
    {
        var bytes = ConfigChange.AddLearner("node4", [1, 2, 3]).Encode(After);

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => ConfigChange.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<FormatException>(() => ConfigChange.Decode([.. bytes, 0]));
    }

    [Fact]
    public void Decode_ConfigurationNamingAnIdTwice_ThrowsFormatException()
    {
        var bytes = ConfigChange.Promote("node4").Encode(new RaftConfiguration(["node1", "node4"], ["node4"]));

        Assert.Throws<FormatException>(() => ConfigChange.Decode(bytes));
    }

    [Fact]
    public void MessageCodec_AppendWithConfigChangeEntry_RoundTrips()
    {
        var data = ConfigChange.Promote("node4").Encode(After);
        var message = new Message
        {
            Type = MessageType.Append, From = "node1", To = "node2", Term = 2, Index = 4, LogTerm = 2,
            Entries = [new Entry(5, 2, EntryType.ConfigChange, data)],
        };

        var entry = Assert.Single(MessageCodec.Decode(MessageCodec.Encode(message)).Entries);

        Assert.Equal((EntryType.ConfigChange, 5L), (entry.Type, entry.Index));
        Assert.Equal(data, entry.Data);
    }

    [Fact]
    public void MessageCodec_SnapshotWithLearners_RoundTrips()
    {
        var decoded = MessageCodec.Decode(MessageCodec.Encode(Install(["node4", "node5"])));

        Assert.Equal(["node1", "node2", "node3"], decoded.Snapshot!.Metadata.Voters);
        Assert.Equal(["node4", "node5"], decoded.Snapshot.Metadata.Learners);
    }

    [Fact]
    public void MessageCodec_SnapshotWithoutLearners_SameBytesAsBeforeLearners()
    {
        Assert.Equal(InstallSnapshotBeforeLearners, Convert.ToHexString(MessageCodec.Encode(Install([]))));
    }

    [Fact]
    public void MessageCodec_BytesWrittenBeforeLearners_StillDecode()
    {
        var decoded = MessageCodec.Decode(Convert.FromHexString(InstallSnapshotBeforeLearners));

        Assert.Equal(["node1", "node2", "node3"], decoded.Snapshot!.Metadata.Voters);
        Assert.Empty(decoded.Snapshot.Metadata.Learners);
        Assert.Equal([9, 8, 7, 6], decoded.Snapshot.Data);
    }

    [Fact]
    public void MessageCodec_LearnersFlagWithoutSnapshot_ThrowsFormatException()
    {
        var bytes = MessageCodec.Encode(new Message { Type = MessageType.Heartbeat, From = "node1", To = "node2", Term = 1 });
        var flagsAt = 1 + 6 + 6 + 5; // type, two ids, five varints of one byte
        bytes[flagsAt] = 4;

        Assert.Throws<FormatException>(() => MessageCodec.Decode(bytes));
    }
}
