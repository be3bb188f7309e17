using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace DistSync.Client;

/// <summary>
/// Locks: exclusive or shared, with fencing tokens. The holds and waits of this client belong to one server session kept
/// alive by the client, so they need no renewing of their own; each hold is a holder of its own in the lock table, so
/// two holds taken through one client exclude each other as two clients' would.
/// </summary>
public sealed class DistSyncLocks : IAsyncDisposable
{
    private const string SessionGone = "urn:distsync:problem:session-not-found";

    private readonly NodeTransport _transport;
    private readonly Router _router;
    private readonly DistSyncClientOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private ClientSession? _session;
    private long _holds;

    internal DistSyncLocks(NodeTransport transport, Router router, DistSyncClientOptions options, TimeProvider time)
    {
        _transport = transport;
        _router = router;
        _options = options;
        _time = time;
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the lock. Throws <see cref="DistSyncLockTimeoutException"/> when it was not
    /// granted in time, <see cref="DistSyncDeadlockException"/> when waiting would close a cycle of waits. Cancelling
    /// withdraws the wait on the server.
    /// </summary>
    public async Task<LockHold> AcquireAsync(string resource, LockMode mode = LockMode.Exclusive, TimeSpan? wait = null,
        CancellationToken cancellationToken = default) =>
        await TryAcquireCoreAsync(resource, mode, wait ?? TimeSpan.FromSeconds(30), throwWhenBusy: true, cancellationToken).ConfigureAwait(false)
        ?? throw new DistSyncLockTimeoutException(resource, wait ?? TimeSpan.FromSeconds(30));

    /// <summary>The lock if it can be had within <paramref name="wait"/> (default: now or never), else null.</summary>
    public Task<LockHold?> TryAcquireAsync(string resource, LockMode mode = LockMode.Exclusive, TimeSpan? wait = null,
        CancellationToken cancellationToken = default) =>
        TryAcquireCoreAsync(resource, mode, wait ?? TimeSpan.Zero, throwWhenBusy: false, cancellationToken);

    /// <summary>
    /// The resource as the cluster holds it now (a linearizable read): its holders with their fencing tokens, and its
    /// waiters in queue order. A resource nobody holds or waits for has no holders and a null <see cref="LockInfo.Mode"/>.
    /// </summary>
    public async Task<LockInfo> InspectAsync(string resource, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        using var activity = DistSyncTelemetry.Start("lock.inspect", resource);
        // Any node answers it linearizably (a follower asks the leader for a read index, one message): spread over them
        // all, reads do not queue at the leader's HTTP server.
        var answer = await _transport.SendAsync(HttpMethod.Get, $"/locks/resource?name={Uri.EscapeDataString(resource)}", null, Retry.Safe, "lock.inspect",
            cancellationToken).ConfigureAwait(false);
        var body = answer.Body;
        return new LockInfo(
            resource,
            ModeOf(NodeTransport.Text(body, "mode")),
            body.TryGetProperty("fencing_token", out var token) && token.ValueKind == JsonValueKind.Number ? token.GetInt64() : null,
            [.. Entries(body, "holders").Select(h => new LockHolderInfo(NodeTransport.Text(h, "client_id") ?? "", ModeOf(NodeTransport.Text(h, "mode")) ?? LockMode.Exclusive,
                h.TryGetProperty("fencing_token", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt64() : 0, SessionOf(h)))],
            [.. Entries(body, "waiters").Select(w => new LockWaiterInfo(NodeTransport.Text(w, "client_id") ?? "", ModeOf(NodeTransport.Text(w, "mode")) ?? LockMode.Exclusive, SessionOf(w)))]);
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _session, null) is { } session)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        _opening.Dispose();
        _closing.Dispose();
    }

    internal async Task ReleaseAsync(LockHold hold, ClientSession session)
    {
        if (session.IsLost)
        {
            return; // the server ended the hold with the session
        }

        using var activity = DistSyncTelemetry.Start("lock.release", hold.Resource);
        try
        {
            await _transport.SendAsync(HttpMethod.Post, "/locks/release",
                new { resource = hold.Resource, client_id = hold.HolderId, fencing_token = hold.FencingToken, request_id = DistSyncQueue.NewRequestId() },
                Retry.Safe, "lock.release", CancellationToken.None, await _router.LeaderAsync(CancellationToken.None).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (DistSyncRequestException ex) when (ex.Type == SessionGone)
        {
            session.MarkLost();
        }
        catch (DistSyncUnavailableException)
        {
            // Not known to be released: the holder is released in the background, as an abandoned acquire's is (its id
            // is this hold's alone), rather than left held until the session ends.
            Abandon(hold.Resource, hold.HolderId, session, TimeSpan.Zero);
            throw;
        }
    }

    private async Task<LockHold?> TryAcquireCoreAsync(string resource, LockMode mode, TimeSpan wait, bool throwWhenBusy, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero);
        using var activity = DistSyncTelemetry.Start("lock.acquire", resource);
        var started = Stopwatch.GetTimestamp();
        var holder = $"{_options.ClientId}/{Interlocked.Increment(ref _holds)}";
        var requestId = DistSyncQueue.NewRequestId();
        for (var attempt = 0; ; attempt++)
        {
            var session = await SessionAsync(cancellationToken).ConfigureAwait(false);
            NodeAnswer answer;
            try
            {
                answer = await _transport.SendAsync(HttpMethod.Post, "/locks/acquire", new
                {
                    resource,
                    client_id = holder,
                    mode = mode == LockMode.Shared ? "shared" : "exclusive",
                    wait_ms = (long)wait.TotalMilliseconds,
                    session_id = session.Id,
                    request_id = requestId,
                }, Retry.Safe, "lock.acquire", cancellationToken, await _router.LeaderAsync(cancellationToken).ConfigureAwait(false), wait).ConfigureAwait(false);
            }
            catch (DistSyncRequestException ex) when (ex.Type == SessionGone && attempt == 0)
            {
                session.MarkLost(); // a new session, and the acquire again under it
                requestId = DistSyncQueue.NewRequestId();
                continue;
            }
            catch (Exception ex) when (ex is DistSyncUnavailableException { MayHaveBeenApplied: true } or OperationCanceledException)
            {
                Abandon(resource, holder, session, wait);
                throw;
            }

            var status = NodeTransport.Text(answer.Body, "status");
            activity?.SetTag("distsync.lock.status", status);
            DistSyncTelemetry.Record("lock.acquire", started, status ?? "unknown");
            if (answer.Status == HttpStatusCode.OK)
            {
                return new LockHold(this, session, resource, holder, mode, answer.Body.GetProperty("fencing_token").GetInt64());
            }

            return status switch
            {
                "busy" or "timeout" when !throwWhenBusy || status == "busy" && wait == TimeSpan.Zero => null,
                "busy" or "timeout" => throw new DistSyncLockTimeoutException(resource, wait),
                "deadlock" => throw new DistSyncDeadlockException(resource, Cycle(answer.Body)),
                _ => throw new DistSyncException($"The lock on '{resource}' was refused: {status} ({NodeTransport.Text(answer.Body, "detail")})"),
            };
        }
    }

    /// <summary>
    /// An acquire whose answer never came (the retries ran out, or the caller cancelled) may still be granted, or waiting,
    /// under the session, and nothing would end it before the session ends (nor would a release that could not be sent). Its holder id is this acquire's alone, so a
    /// release naming the holder without a token frees nothing else: it is sent at once, and again once any copy of the
    /// acquire still on its way must have been decided.
    /// </summary>
    private void Abandon(string resource, string holder, ClientSession session, TimeSpan wait)
    {
        var settle = _options.RequestTimeout + wait;
        _ = Task.Run(async () =>
        {
            foreach (var delay in (TimeSpan[])[TimeSpan.Zero, settle])
            {
                try
                {
                    await Task.Delay(delay, _time, _closing.Token).ConfigureAwait(false);
                    if (session.IsLost)
                    {
                        return; // the server ended everything of the session
                    }

                    await _transport.SendAsync(HttpMethod.Post, "/locks/release",
                        new { resource, client_id = holder, request_id = DistSyncQueue.NewRequestId() }, Retry.Safe, "lock.abandon", _closing.Token,
                        await _router.LeaderAsync(_closing.Token).ConfigureAwait(false)).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return; // the client is closing: its session's end releases the rest
                }
                catch (DistSyncException)
                {
                    // The next round tries again; after it, the session's end is what frees the hold.
                }
            }
        }, CancellationToken.None);
    }

    private static IEnumerable<JsonElement> Entries(JsonElement body, string name) =>
        body.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];

    private static LockMode? ModeOf(string? wire) => wire switch
    {
        "shared" => LockMode.Shared,
        "exclusive" => LockMode.Exclusive,
        _ => null,
    };

    private static long? SessionOf(JsonElement entry) =>
        entry.TryGetProperty("session_id", out var id) && id.ValueKind == JsonValueKind.Number ? id.GetInt64() : null;

    private async Task<ClientSession> SessionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _session) is { IsLost: false } current)
        {
            return current;
        }

        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _session) is { IsLost: false } opened)
            {
                return opened;
            }

            var session = await ClientSession.OpenAsync(_transport, _router.LeaderAsync, _options.SessionTtl, _options.SessionSafetyMargin, _time, cancellationToken).ConfigureAwait(false);
            var old = Interlocked.Exchange(ref _session, session);
            if (old is not null)
            {
                await old.DisposeAsync().ConfigureAwait(false);
            }

            return session;
        }
        finally
        {
            _opening.Release();
        }
    }

    private static IReadOnlyList<string> Cycle(JsonElement body) =>
        body.TryGetProperty("cycle", out var cycle) && cycle.ValueKind == JsonValueKind.Array ? [.. cycle.EnumerateArray().Select(c => c.GetString() ?? "")] : [];
}
