using System.ComponentModel.DataAnnotations;

namespace DistSync.Node.Hosting;

/// <summary>The <c>DistSync:Redis</c> section: how the queue's and the cache's writes wait for Redis replicas.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "DistSync:Redis";

    /// <summary>
    /// Replicas that must have a queue or cache write (Redis <c>WAIT</c>) before the node answers it. 0 (default): no
    /// wait, for a single server; 1 on a Redis Cluster with one replica per primary.
    /// </summary>
    [Range(0, 16)]
    public int WaitReplicas { get; set; }

    /// <summary>
    /// How long a write waits for its replicas before it fails (503, may have been applied). At most 4 s: the Redis
    /// client gives up on any command after 5 s, and a <c>WAIT</c> holds its connection's later commands while it waits.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:04")]
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(1);
}
