using System.Collections.Concurrent;
using System.Net;

namespace DistSync.Client;

/// <summary>
/// Knows where each request is served: reads the topology at first use and again when it may have changed (an answer
/// from a newer ring, a failed node, every 30 s), and the partition count of each topic once (it never changes). All it
/// returns is a preference: the transport falls back to any node, which forwards.
/// </summary>
internal sealed class Router(NodeTransport transport, TimeProvider time, bool enabled = true)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, int> _partitions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _reading = new(1, 1);
    private volatile Topology? _topology;
    private DateTimeOffset _readAt;
    private int _stale = 1;

    public Topology? Current => _topology;

    public async ValueTask<Uri?> LeaderAsync(CancellationToken cancellationToken) => (await TopologyAsync(cancellationToken).ConfigureAwait(false))?.Leader;

    public async ValueTask<Uri?> HomeAsync(string key, CancellationToken cancellationToken) =>
        (await TopologyAsync(cancellationToken).ConfigureAwait(false))?.HomeOf(key);

    public async ValueTask<Uri?> OwnerAsync(string topic, int partition, CancellationToken cancellationToken) =>
        (await TopologyAsync(cancellationToken).ConfigureAwait(false))?.OwnerOf(topic, partition);

    /// <summary>The owner a publish goes to, when the topic's partition count is known (it exists: a first publish creates it anywhere).</summary>
    public async ValueTask<Uri?> PublishOwnerAsync(string topic, string? key, string? dedupId, string requestId, CancellationToken cancellationToken)
    {
        if (!_partitions.TryGetValue(topic, out var partitions))
        {
            return null;
        }

        return await OwnerAsync(topic, Topology.PartitionOf(key, dedupId, requestId, 0, partitions), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Learns a topic's partition count once it has a message (the publish answer names it indirectly: ask the stats).</summary>
    public async Task LearnPartitionsAsync(string topic, CancellationToken cancellationToken)
    {
        if (_partitions.ContainsKey(topic))
        {
            return;
        }

        try
        {
            var answer = await transport.SendAsync(HttpMethod.Get, $"/queue/stats?topic={Uri.EscapeDataString(topic)}", null, Retry.Safe, "queue.stats",
                cancellationToken).ConfigureAwait(false);
            if (answer.Status == HttpStatusCode.OK && answer.Body.TryGetProperty("partitions", out var count) && count.TryGetInt32(out var n) && n > 0)
            {
                _partitions[topic] = n;
            }
        }
        catch (DistSyncException)
        {
            // A preference only: requests go anywhere meanwhile.
        }
    }

    /// <summary>An answer came from a ring newer than the one known, or a preferred node failed: read the topology again.</summary>
    public void Invalidate(long? epoch = null)
    {
        if (epoch is null || _topology is not { } known || epoch > known.Epoch)
        {
            Volatile.Write(ref _stale, 1);
        }
    }

    private async ValueTask<Topology?> TopologyAsync(CancellationToken cancellationToken)
    {
        if (!enabled)
        {
            return null;
        }

        if (Volatile.Read(ref _stale) == 0 && time.GetUtcNow() - _readAt < MaxAge)
        {
            return _topology;
        }

        if (!await _reading.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            return _topology; // another caller is reading it; this one goes with what is known
        }

        try
        {
            Volatile.Write(ref _stale, 0);
            _readAt = time.GetUtcNow();
            var answer = await transport.SendAsync(HttpMethod.Get, "/cluster/topology", null, Retry.Safe, "topology", cancellationToken).ConfigureAwait(false);
            if (answer.Status == HttpStatusCode.OK && Topology.Parse(answer.Body, answer.Node) is { } topology)
            {
                _topology = topology;
                transport.UseNodes(topology.Urls);
            }
        }
        catch (DistSyncException)
        {
            // An older server without the topology, or none reachable now: requests go anywhere.
        }
        finally
        {
            _reading.Release();
        }

        return _topology;
    }
}
