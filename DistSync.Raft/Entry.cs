namespace DistSync.Raft;

/// <summary>What a log entry carries: a command for the state machines, or the empty entry a new leader appends.</summary>
public enum EntryType : byte
{
    /// <summary>A new leader's first entry; lets it commit entries of earlier terms (Raft §5.4.2).</summary>
    Empty = 0,
    Command = 1,

    /// <summary>A membership change; <see cref="Entry.Data"/> is a <see cref="ConfigChange"/> (see <see cref="ConfigChange.Decode(ReadOnlySpan{byte}, out RaftConfiguration)"/>).</summary>
    ConfigChange = 2,
}

/// <summary>One entry of the replicated log.</summary>
public sealed record Entry(long Index, long Term, EntryType Type, byte[] Data)
{
    public static Entry EmptyAt(long index, long term) => new(index, term, EntryType.Empty, []);
}

/// <summary>The state that must be on disk before a vote is granted or an append is acknowledged (Raft Figure 2).</summary>
public readonly record struct HardState(long Term, string? VotedFor, long Commit)
{
    public static readonly HardState Initial = new(0, null, 0);
}

/// <summary>
/// Where a snapshot ends and the configuration in effect at its index: who votes and who only learns. Snapshots
/// written before learners existed carry no learners.
/// </summary>
public sealed record SnapshotMetadata(long Index, long Term, IReadOnlyList<string> Voters, IReadOnlyList<string> Learners)
{
    public SnapshotMetadata(long index, long term, IReadOnlyList<string> voters)
        : this(index, term, voters, [])
    {
    }

    /// <summary>The configuration the snapshot captures.</summary>
    public RaftConfiguration Configuration => new(Voters, Learners);
}

/// <summary>A state-machine image covering every entry up to <see cref="SnapshotMetadata.Index"/>.</summary>
public sealed record Snapshot(SnapshotMetadata Metadata, byte[] Data);
