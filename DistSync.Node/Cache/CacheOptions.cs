using System.ComponentModel.DataAnnotations;

namespace DistSync.Node.Cache;

/// <summary>The <c>DistSync:Cache</c> section.</summary>
public sealed class CacheOptions
{
    public const string SectionName = "DistSync:Cache";

    /// <summary>
    /// How long a holder may serve its line without hearing from the home. A write waits at most this long for a
    /// holder that does not answer, and a new home waits this long before granting a key it took over.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Added to every lease at the home (and to a new home's takeover wait): covers the holder's and the home's
    /// monotonic clocks running at different rates, up to this share of the lease (5 % by default: each clock within
    /// 2.4 % of real time), and the home's timer firing early.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the home waits for one holder's answer before trying again (until the holder's lease ends).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan RevokeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a node waits for a home's answer; a home may wait out a lease (or two) before answering.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00")]
    public TimeSpan HomeTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Lines this node keeps at most.</summary>
    [Range(1, 100_000_000)]
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>Bytes of keys and values (plus a per-line overhead) this node keeps at most.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The policy of a set that names none.</summary>
    public CacheWritePolicy WritePolicy { get; set; } = CacheWritePolicy.WriteThrough;

    /// <summary>Under write-back, a dirty line goes to Redis at most this long after its first unsaved write.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan WriteBackDelay { get; set; } = TimeSpan.FromMilliseconds(500);
}

public enum CacheWritePolicy
{
    /// <summary>Every acknowledged write is in Redis: nothing acknowledged is lost when a node dies.</summary>
    WriteThrough,

    /// <summary>An owner's repeated writes stay in its L1 until eviction, a downgrade, or <see cref="CacheOptions.WriteBackDelay"/>.</summary>
    WriteBack,
}
