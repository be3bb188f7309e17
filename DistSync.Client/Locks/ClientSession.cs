using System.Diagnostics;

namespace DistSync.Client;

/// <summary>
/// The one server session this client's holds and waits belong to, kept alive every third of its TTL. Its holds are
/// valid until the last acknowledged keep-alive's send time + TTL − a drift margin: the server ends the session no earlier
/// than the keep-alive's apply time + TTL on the leader's clock, and the keep-alive was applied after it was sent, so a
/// hold's <see cref="LockHold.HandleLost"/> fires before the server could grant its lock to anyone else. When the
/// session is found gone, or its validity passes with no keep-alive acknowledged, every hold of it is lost and the
/// next acquire opens a new session.
/// </summary>
internal sealed class ClientSession : IAsyncDisposable
{
    private readonly NodeTransport _transport;
    private readonly Func<CancellationToken, ValueTask<Uri?>> _leader;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _keepAlive;
    private long _validUntilTicks;

    private ClientSession(NodeTransport transport, Func<CancellationToken, ValueTask<Uri?>> leader, long id, TimeSpan ttl, TimeSpan? margin, TimeProvider time, long sentTicks)
    {
        _transport = transport;
        _leader = leader;
        Id = id;
        _ttl = ttl;
        _time = time;
        Margin = margin ?? TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, ttl.Ticks / 50));
        _validUntilTicks = ValidUntil(sentTicks);
        _keepAlive = Task.Run(KeepAliveAsync);
    }

    public long Id { get; }

    /// <summary>Fires once, when the session is lost.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Until when, on this client's clock, its holds are surely still held.</summary>
    public DateTimeOffset ValidUntil() => new(Interlocked.Read(ref _validUntilTicks), TimeSpan.Zero);

    /// <summary>The margin for clocks that run at different rates and for pauses here (see <see cref="DistSyncClientOptions.SessionSafetyMargin"/>).</summary>
    public TimeSpan Margin { get; }

    /// <summary>Opens a session; it and its keep-alives go to <paramref name="leader"/>'s answer first (a follower would forward them).</summary>
    public static async Task<ClientSession> OpenAsync(NodeTransport transport, Func<CancellationToken, ValueTask<Uri?>> leader, TimeSpan ttl, TimeSpan? margin,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var sent = time.GetUtcNow().UtcTicks;
        var answer = await transport.SendAsync(HttpMethod.Post, "/sessions",
            new { ttl_ms = (long)ttl.TotalMilliseconds, request_id = DistSyncQueue.NewRequestId() }, Retry.Safe, "session.open", cancellationToken,
            await leader(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        return new ClientSession(transport, leader, answer.Body.GetProperty("session_id").GetInt64(), ttl, margin, time, sent);
    }

    /// <summary>Marks the session lost (the node said it is gone).</summary>
    public void MarkLost() => _lost.Cancel();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _keepAlive.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Disposing ends the session whatever became of its keep-alives.
        }

        if (!IsLost)
        {
            try
            {
                // Ends the holds now rather than at the session's end, and grants their waiters.
                await _transport.SendAsync(HttpMethod.Delete, $"/sessions/{Id}", null, Retry.Safe, "session.close", CancellationToken.None,
                    await _leader(CancellationToken.None).ConfigureAwait(false)).ConfigureAwait(false);
            }
            catch (DistSyncException)
            {
                // The session ends by itself within its TTL.
            }
        }

        _lost.Cancel();
        _lost.Dispose();
        _stop.Dispose();
    }

    private long ValidUntil(long sentTicks) => sentTicks + _ttl.Ticks - Margin.Ticks;

    private async Task KeepAliveAsync()
    {
        var interval = TimeSpan.FromTicks(_ttl.Ticks / 3);
        while (!_stop.IsCancellationRequested && !IsLost)
        {
            var untilLost = ValidUntil() - _time.GetUtcNow();
            try
            {
                // Wake at the next keep-alive, or at the end of validity if that comes first.
                await Task.Delay(untilLost < interval ? TimeSpan.FromTicks(Math.Max(0, untilLost.Ticks)) : interval, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_time.GetUtcNow() >= ValidUntil())
            {
                MarkLost();
                return;
            }

            var sent = _time.GetUtcNow().UtcTicks;
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                attempt.CancelAfter(ValidUntil() - _time.GetUtcNow()); // an acknowledgement after validity ended cannot save it
                await _transport.SendAsync(HttpMethod.Post, "/sessions/keepalive", new { session_id = Id }, Retry.Safe, "session.keepalive", attempt.Token,
                    await _leader(attempt.Token).ConfigureAwait(false)).ConfigureAwait(false);
                Interlocked.Exchange(ref _validUntilTicks, Math.Max(Interlocked.Read(ref _validUntilTicks), ValidUntil(sent)));
                DistSyncTelemetry.Record("session.keepalive", started, "ok");
            }
            catch (DistSyncRequestException ex) when (ex.Status == 404)
            {
                MarkLost();
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // Whatever failed, only an acknowledged keep-alive extends the session: the next turn tries again while
                // it is still valid, and validity ends on this client's clock alone.
                DistSyncTelemetry.Record("session.keepalive", started, "failed"); // tried again at the next turn, while still valid
            }
        }
    }
}
