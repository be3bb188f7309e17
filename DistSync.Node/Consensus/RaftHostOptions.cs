using System.ComponentModel.DataAnnotations;

namespace DistSync.Node.Consensus;

/// <summary>The <c>DistSync:Raft</c> section: timing and limits of the Raft host.</summary>
public sealed class RaftHostOptions
{
    public const string SectionName = "DistSync:Raft";

    /// <summary>One Raft tick. Elections time out after 10–20 ticks (0.5–1 s by default).</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:00:10")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    [Range(3, 1000)]
    public int ElectionTicks { get; set; } = 10;

    /// <summary>
    /// Ticks between a leader's heartbeats: every 100 ms by default, as etcd's, five or more to each election timeout.
    /// Each is a message to every follower and an answer back, which is most of what an idle cluster does.
    /// </summary>
    [Range(1, 999)]
    public int HeartbeatTicks { get; set; } = 2;

    /// <summary>Take a snapshot and compact the log after this many applied entries.</summary>
    [Range(10, 10_000_000)]
    public int SnapshotEvery { get; set; } = 20_000;

    /// <summary>
    /// Largest snapshot this node takes from a leader, in bytes. A follower holds the snapshot it is receiving in memory
    /// (the buffer becomes the snapshot the state machines restore from, so it is not copied again), so this bounds
    /// that memory; the leader warns when a snapshot it takes is larger. At most <see cref="Array.MaxLength"/>.
    /// </summary>
    [Range(typeof(long), "1048576", "2147483591")]
    public long MaxSnapshotBytes { get; set; } = 1L << 30;

    /// <summary>How long a proposal may take to commit and apply before the caller is told the outcome is unknown.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ProposalTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Queued inputs (messages, proposals, reads) the loop holds before it sheds load.</summary>
    [Range(1_000, 10_000_000)]
    public int MaxQueuedInputs { get; set; } = 100_000;

    /// <summary>Only for tests that need speed over durability; a production node always fsyncs.</summary>
    public bool SyncToDisk { get; set; } = true;
}
