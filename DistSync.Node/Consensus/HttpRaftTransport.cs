using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Threading.Channels;
using DistSync.Node.Cluster;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Consensus;

/// <summary>
/// Raft over the node's own HTTP port: one sender per peer drains that peer's bounded queue into one
/// binary batch per request (<c>POST /internal/raft/messages</c>), so a slow peer only delays itself and
/// a burst of appends travels as one request. Appends carrying entries are traced (<c>raft.append_entries</c>),
/// heartbeats are not.
/// </summary>
public sealed partial class HttpRaftTransport : IRaftTransport, IAsyncDisposable
{
    public const string HttpClientName = "raft";

    /// <summary>The client for proposals a follower forwards to the leader, apart from the peer messages' client.</summary>
    public const string ForwardClientName = "raft-forward";

    /// <summary>Concurrent forwarded proposals per leader; more wait for a connection.</summary>
    public const int MaxForwardConnections = 256;
    public const string MessagesPath = "/internal/raft/messages";
    public const string ProposePath = "/internal/raft/propose";

    private const int QueueCapacity = 16_384;
    private const int MaxMessagesPerRequest = 1_024;

    private readonly Dictionary<string, Channel<Message>> _queues = new(StringComparer.Ordinal);
    private readonly List<Task> _senders = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly IHttpClientFactory _clients;
    private readonly PeerDirectory _peers;
    private readonly string _clusterKey;
    private readonly RaftTelemetry _telemetry;
    private readonly ILogger<HttpRaftTransport> _logger;

    public HttpRaftTransport(IHttpClientFactory clients, PeerDirectory peers, IOptions<NodeOptions> options, RaftTelemetry telemetry, ILogger<HttpRaftTransport> logger)
    {
        _clients = clients;
        _peers = peers;
        _clusterKey = options.Value.ClusterKey ?? "";
        _telemetry = telemetry;
        _logger = logger;
        foreach (var peer in peers.PeerIds)
        {
            var queue = Channel.CreateBounded<Message>(new BoundedChannelOptions(QueueCapacity)
            {
                SingleReader = true,
                // Wait mode: TryWrite answers false when full (DropWrite would say true and drop it silently).
            FullMode = BoundedChannelFullMode.Wait,
            });
            _queues[peer] = queue;
            _senders.Add(Task.Run(() => SendLoopAsync(peer, queue.Reader, _stopping.Token)));
        }
    }

    public event Action<string>? PeerUnreachable;

    public void Send(IReadOnlyList<Message> messages)
    {
        foreach (var message in messages)
        {
            if (_queues.TryGetValue(message.To, out var queue) && !queue.Writer.TryWrite(message))
            {
                _telemetry.MessageDropped(message.To);
            }
        }
    }

    public async Task<ProposeResult> ForwardProposalAsync(string leaderId, byte[] envelope, CancellationToken cancellationToken)
    {
        using var request = NewRequest(leaderId, ProposePath, envelope);
        using var response = await _clients.CreateClient(ForwardClientName).SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted)
        {
            var accepted = await response.Content.ReadFromJsonAsync<ForwardAnswer>(NodeJson.Options, cancellationToken);
            return ProposeResult.Accepted(accepted!.Index, accepted.Term);
        }

        if (response.StatusCode == HttpStatusCode.MisdirectedRequest)
        {
            var answer = await response.Content.ReadFromJsonAsync<ForwardAnswer>(NodeJson.Options, cancellationToken);
            return ProposeResult.NotLeader(answer?.LeaderId);
        }

        throw new RaftUnavailableException($"Leader {leaderId} answered {(int)response.StatusCode} to a forwarded proposal.", leaderId);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var queue in _queues.Values)
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(_senders).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task SendLoopAsync(string peer, ChannelReader<Message> queue, CancellationToken cancellationToken)
    {
        var batch = new List<Message>(MaxMessagesPerRequest);
        var failures = 0;
        try
        {
            while (await queue.WaitToReadAsync(cancellationToken))
            {
                batch.Clear();
                while (batch.Count < MaxMessagesPerRequest && queue.TryRead(out var message))
                {
                    batch.Add(message);
                }

                if (await TrySendAsync(peer, batch, cancellationToken))
                {
                    failures = 0;
                    continue;
                }

                // The peer is down or slow: back off, and drop what piled up meanwhile — Raft resends from
                // its own state (a heartbeat or a probe), and stale messages only waste the peer's time.
                failures++;
                PeerUnreachable?.Invoke(peer);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 * (1 << Math.Min(failures, 6)))), cancellationToken);
                while (queue.TryRead(out _))
                {
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task<bool> TrySendAsync(string peer, List<Message> batch, CancellationToken cancellationToken)
    {
        var appends = 0;
        var entries = 0;
        foreach (var message in batch)
        {
            if (message.Type == MessageType.Append && message.Entries.Count > 0)
            {
                appends++;
                entries += message.Entries.Count;
            }
        }

        using var activity = appends > 0 ? _telemetry.StartAppendEntries(peer, entries, batch[^1].Term) : null;
        try
        {
            using var request = NewRequest(peer, MessagesPath, MessageCodec.EncodeBatch(batch));
            if (activity is not null)
            {
                request.Headers.Add(Microsoft.Extensions.Hosting.Extensions.TracedHeader, "1");
            }

            using var response = await _clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                activity?.SetStatus(ActivityStatusCode.Error, $"HTTP {(int)response.StatusCode}");
                LogSendFailed(peer, $"HTTP {(int)response.StatusCode}");
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogSendFailed(peer, ex.Message);
            return false;
        }
    }

    private HttpRequestMessage NewRequest(string peer, string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_peers.AddressOf(peer), path))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
        };
        request.Headers.Add(ClusterKeyFilter.HeaderName, _clusterKey);
        return request;
    }

    [LoggerMessage(2101, LogLevel.Debug, "Raft messages to {Peer} failed: {Reason}")]
    private partial void LogSendFailed(string peer, string reason);
}

/// <summary>The leader's answer to a forwarded proposal.</summary>
public sealed record ForwardAnswer(long Index, long Term, string? LeaderId);
