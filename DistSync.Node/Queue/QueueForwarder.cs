using System.Net.Http.Json;
using DistSync.Node.Hosting;
using DistSync.Node.Http;

namespace DistSync.Node.Queue;

/// <summary>
/// Sends a queue request to the node that owns the partition (<c>/internal/queue/*</c>, cluster key required), on
/// the node's one plain peer client (<see cref="PeerHttp"/>). Traces still propagate (the handler's own diagnostics).
/// </summary>
public sealed class QueueForwarder(PeerDirectory peers, PeerCredentials credentials) : IQueuePeers, IDisposable
{
    private readonly HttpClient _http = PeerHttp.CreateClient(TimeSpan.FromSeconds(5));

    public Task<OwnerReply<IReadOnlyList<ForwardedPublished>>> PublishAsync(string owner, ForwardPublish request, CancellationToken cancellationToken) =>
        PostAsync<ForwardPublish, IReadOnlyList<ForwardedPublished>>(owner, "/internal/queue/publish", request, cancellationToken);

    public Task<OwnerReply<IReadOnlyList<ForwardedDelivery>>> ConsumeAsync(string owner, ForwardConsume request, CancellationToken cancellationToken) =>
        PostAsync<ForwardConsume, IReadOnlyList<ForwardedDelivery>>(owner, "/internal/queue/consume", request, cancellationToken);

    public Task<OwnerReply<ForwardedChange>> ChangeAsync(string owner, ForwardChange request, CancellationToken cancellationToken) =>
        PostAsync<ForwardChange, ForwardedChange>(owner, "/internal/queue/change", request, cancellationToken);

    private async Task<OwnerReply<TReply>> PostAsync<TRequest, TReply>(string owner, string path, TRequest body, CancellationToken cancellationToken)
    {
        if (!peers.TryGetAddress(owner, out var address))
        {
            throw new QueuePeerUnreachableException(owner, "not a peer of this node");
        }

        using var request = PeerHttp.Request(HttpMethod.Post, new Uri(address, path), credentials, JsonContent.Create(body, options: NodeJson.Options));
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
            {
                // The owner answered, but its Redis did not: another try will not help until Redis is back.
                throw new QueueUnavailableException($"{owner}, the partition's owner, could not reach Redis; the request may or may not have been applied. Retry shortly.", maybeApplied: true);
            }

            response.EnsureSuccessStatusCode();
            var reply = await response.Content.ReadFromJsonAsync<ForwardReply<TReply>>(NodeJson.Options, cancellationToken)
                ?? throw new QueuePeerUnreachableException(owner, "an empty answer");
            return reply.ToOwnerReply();
        }
        catch (Exception ex) when (PeerHttp.IsUnreachable(ex) && !cancellationToken.IsCancellationRequested)
        {
            // A refused connection carried nothing; any other failure may have come after the owner acted.
            throw new QueuePeerUnreachableException(owner, ex.Message, mayHaveReached: ex is not HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError });
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The owner of a partition did not answer (down, partitioned, or overloaded). <see cref="MayHaveReached"/>: the request
/// may have reached it and been acted on (a timeout, a dropped connection), unlike a refused connection.</summary>
public sealed class QueuePeerUnreachableException(string peer, string reason, bool mayHaveReached = false) : Exception($"{peer} did not answer: {reason}")
{
    public string Peer { get; } = peer;

    public bool MayHaveReached { get; } = mayHaveReached;
}

/// <summary>
/// No owner could take the request within the retry budget (the ring is moving or the owner is down), or the owner's
/// Redis failed under it (then it <see cref="Http.UnavailableException.MayHaveBeenApplied"/>). Retry.
/// </summary>
public sealed class QueueUnavailableException(string message, bool maybeApplied = false, string? requestId = null) : Http.UnavailableException(message, maybeApplied)
{
    public override string Title => "Partition unavailable";

    /// <summary>The request id to send again so a retry gets the first try's answer (a consume: the same lease).</summary>
    public override IEnumerable<KeyValuePair<string, object?>> Details => requestId is null ? [] : [new("request_id", requestId)];
}
