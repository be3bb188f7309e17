using DistSync.Node.Queue;

namespace DistSync.Node.ClusterView;

/// <summary>The queue in the cluster view: the ring (epoch, members) and, per topic, each partition's owner and counts.</summary>
public sealed class QueueClusterViewSection(QueueService queue, QueueRing ring, TopicRegistry topics) : IClusterViewSection
{
    /// <summary>The page shows the first topics by name; <c>GET /queue/stats</c> has every one.</summary>
    private const int MaxTopics = 20;

    public string Name => "queue";

    public async Task<object?> DescribeAsync(CancellationToken cancellationToken)
    {
        var membership = ring.Membership;
        var shown = topics.Topics.Take(MaxTopics).ToList();
        var stats = new List<TopicStatsResponse>(shown.Count);
        foreach (var topic in shown)
        {
            try
            {
                stats.Add(await queue.StatsAsync(topic));
            }
            catch (StackExchange.Redis.RedisException)
            {
                // Redis is away; the page shows the ring without counts.
            }
        }

        return new { ring_epoch = membership.Epoch, ring_members = membership.Members, topics_total = topics.Topics.Count, topics = stats };
    }
}
