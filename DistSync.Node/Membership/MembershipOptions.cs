using System.ComponentModel.DataAnnotations;

namespace DistSync.Node.Membership;

/// <summary>The <c>DistSync:Membership</c> section: when the leader moves a node out of the ring, and back in.</summary>
public sealed class MembershipOptions
{
    public const string SectionName = "DistSync:Membership";

    /// <summary>A node the leader has not heard from for this long leaves the ring (its partitions and cache homes move).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RemoveAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A node out of the ring rejoins once the leader has heard from it steadily for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RejoinAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the leader looks.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}
