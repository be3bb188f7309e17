using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DistSync.Node.Hosting;

/// <summary>
/// Holds each queue and cache write until <see cref="RedisOptions.WaitReplicas"/> replicas have it: one Redis <c>WAIT</c>
/// on the key's primary per batch. <c>WAIT</c> covers every write sent before it on the same connection, and the
/// multiplexer has one connection per primary, so writes that finish while a <c>WAIT</c> to their primary is in flight
/// (possibly sent after it) share the next one; a short count fails every write of that batch.
/// </summary>
public sealed class ReplicaWaits
{
    private readonly int _replicas;
    private readonly TimeSpan _timeout;
    private readonly Func<EndPoint, Task<long>> _wait;
    private readonly ReplicaRoutes _routes;
    private long _lastRefresh = long.MinValue;

    /// <summary>The primary a MOVED answer named for a slot: the client's own map can lag it for a minute after a failover.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _owners = new();
    private readonly Dictionary<EndPoint, Primary> _primaries = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _shas = new(StringComparer.Ordinal);

    /// <param name="wait">Sends <c>WAIT replicas timeout</c> to the primary and returns how many replicas acknowledged.</param>
    /// <param name="routes">Where a key's writes go (see <see cref="ReplicaRoutes"/>).</param>
    public ReplicaWaits(int replicas, TimeSpan timeout, Func<EndPoint, Task<long>> wait, ReplicaRoutes routes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        ArgumentNullException.ThrowIfNull(routes);
        _replicas = replicas;
        _timeout = timeout;
        _wait = wait;
        _routes = routes;
    }

    /// <summary>No waits: a single server, and the store tests that need none.</summary>
    public static ReplicaWaits None { get; } = new(0, TimeSpan.Zero, _ => Task.FromResult(0L), ReplicaRoutes.Nowhere);

    public static ReplicaWaits For(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
    {
        var (replicas, timeout) = (options.Value.WaitReplicas, options.Value.WaitTimeout);
        var ms = ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        return new ReplicaWaits(replicas, timeout,
            async endpoint => (long)await redis.GetServer(endpoint).ExecuteAsync("WAIT", replicas.ToString(CultureInfo.InvariantCulture), ms).AsRedisFailure(),
            new ReplicaRoutes(
                SlotOf: key => redis.HashSlot(key),
                ServerFor: key => redis.GetServer(key, flags: CommandFlags.DemandMaster),
                ServerAt: hostAndPort => redis.GetServer(hostAndPort),
                LocateAsync: async key => HostAndPort(await redis.GetDatabase().IdentifyEndpointAsync(key, CommandFlags.DemandMaster)),
                RefreshAsync: () => redis.ConfigureAsync()));
    }

    /// <summary>
    /// Runs a write script and answers once the replicas have what it wrote; a reply that <paramref name="wroteNothing"/>
    /// says changed nothing (a stale epoch) waits for none. The <c>WAIT</c> must reach the very server, and connection,
    /// that ran the script: <c>WAIT</c> counts that connection's writes only, and after a failover the client's map of
    /// slots can name another primary (or, for a moment, any primary) while a woken old primary still runs what was
    /// queued on it. So the script is sent to one server by name, never redirected (a server that does not own the slot
    /// answers <c>MOVED</c> and runs nothing), and the <c>WAIT</c> goes to that same server.
    /// </summary>
    public async Task<RedisResult> EvaluateAsync(IDatabase db, string script, RedisKey[] keys, RedisValue[] args, Func<RedisResult, bool> wroteNothing)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(wroteNothing);
        if (_replicas == 0)
        {
            return await db.ScriptEvaluateAsync(script, keys, args).AsRedisFailure();
        }

        var slot = _routes.SlotOf(keys[0]);
        var sha = _shas.GetOrAdd(script, static s => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(s))));
        object[] command = [sha, keys.Length, .. keys.Select(k => (object)k), .. args.Select(a => (object)a)];
        IServer server;
        RedisResult reply;
        try
        {
            server = (_owners.TryGetValue(slot, out var owner) ? _routes.ServerAt(owner) : _routes.ServerFor(keys[0]))
                ?? throw new RedisConnectionException(ConnectionFailureType.UnableToResolvePhysicalConnection, "No Redis primary known for the key.");
            reply = await RunAsync(server, script, command);
        }
        catch (RedisServerException ex) when (MovedTo(ex) is { } movedTo)
        {
            // The member named no longer owns the slot and ran nothing: run it, once, where Redis says the slot is now,
            // and remember that, since the client's own map can take a minute to learn it.
            _owners[slot] = movedTo;
            RefreshMapSoon();
            server = _routes.ServerAt(movedTo);
            reply = await RunAsync(server, script, command);
        }
        catch (Exception ex) when (ex is RedisConnectionException || (ex is RedisServerException && ex.Message.StartsWith("READONLY", StringComparison.Ordinal)))
        {
            // The member named cannot be reached (it died, and the map has not moved on) or has become a replica, so no
            // MOVED will say where the slot went: ask Redis, through the client's redirect-following path, and send the
            // next writes there. This one may have been sent, so it fails (a 503 that may have been applied) rather than
            // run twice.
            _owners.TryRemove(slot, out _);
            await LearnOwnerAsync(slot, keys[0]);
            throw;
        }

        if (!wroteNothing(reply))
        {
            await AfterWriteAsync(server.EndPoint);
        }

        return reply;
    }

    private static string? HostAndPort(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint ip => ip.ToString(),
        DnsEndPoint dns => $"{dns.Host}:{dns.Port.ToString(CultureInfo.InvariantCulture)}",
        _ => null,
    };

    /// <summary>Runs the script on that server alone, loading it first if the server does not have it.</summary>
    private static async Task<RedisResult> RunAsync(IServer server, string script, object[] command)
    {
        try
        {
            return await server.ExecuteAsync("EVALSHA", command, CommandFlags.NoRedirect).AsRedisFailure();
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // Not yet loaded on this server (a new or restarted member): it ran nothing, so load it and run it once more.
            await server.ScriptLoadAsync(script).AsRedisFailure();
            return await server.ExecuteAsync("EVALSHA", command, CommandFlags.NoRedirect).AsRedisFailure();
        }
    }

    /// <summary>
    /// The member a MOVED answer names: Redis's own <c>MOVED slot host:port</c>, or as the client words it when it does not
    /// follow the redirect ("Key has MOVED to Endpoint host:port and hashslot …").
    /// </summary>
    internal static string? MovedTo(RedisServerException ex)
    {
        var match = System.Text.RegularExpressions.Regex.Match(ex.Message, @"^MOVED \d+ (\S+)|MOVED to Endpoint (\S+) ");
        return !match.Success ? null : match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
    }

    private async Task LearnOwnerAsync(int slot, RedisKey key)
    {
        try
        {
            if (await _routes.LocateAsync(key) is { } located)
            {
                _owners[slot] = located;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            RefreshMapSoon(); // nobody answers for the slot yet (a failover under way): the next failed write asks again
        }
    }

    /// <summary>Starts reading the layout again, at most once a second.</summary>
    private void RefreshMapSoon()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastRefresh);
        if ((last != long.MinValue && System.Diagnostics.Stopwatch.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1))
            || Interlocked.CompareExchange(ref _lastRefresh, now, last) != last)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await _routes.RefreshAsync();
            }
            catch (Exception ex) when (ex is RedisException or InvalidOperationException)
            {
                // The next failed write asks again.
            }
        });
    }

    public Task AfterWriteAsync(EndPoint? primary)
    {
        if (_replicas == 0)
        {
            return Task.CompletedTask;
        }

        if (primary is null)
        {
            return Task.FromException(new RedisConnectionException(ConnectionFailureType.UnableToResolvePhysicalConnection, "No Redis primary known for the key to wait on."));
        }

        TaskCompletionSource batch;
        lock (_primaries)
        {
            if (!_primaries.TryGetValue(primary, out var state))
            {
                _primaries[primary] = state = new Primary();
            }

            if (state.InFlight)
            {
                state.Next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return state.Next.Task;
            }

            state.InFlight = true;
            batch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _ = RunAsync(primary, batch);
        return batch.Task;
    }

    /// <summary>Waits for one batch after another until none has gathered while the last was in flight.</summary>
    private async Task RunAsync(EndPoint primary, TaskCompletionSource batch)
    {
        while (true)
        {
            try
            {
                var acknowledged = await _wait(primary);
                if (acknowledged >= _replicas)
                {
                    batch.SetResult();
                }
                else
                {
                    batch.SetException(new ReplicaWaitException(acknowledged, _replicas, _timeout));
                }
            }
            catch (Exception ex)
            {
                batch.SetException(ex);
            }

            lock (_primaries)
            {
                var state = _primaries[primary];
                if (state.Next is null)
                {
                    state.InFlight = false;
                    return;
                }

                (batch, state.Next) = (state.Next, null);
            }
        }
    }

    private sealed class Primary
    {
        public bool InFlight { get; set; }

        public TaskCompletionSource? Next { get; set; }
    }
}

/// <summary>
/// Where a waited write goes: the key's slot, the primary the client's map routes it to (no round trip), a member by
/// its <c>host:port</c>, the member Redis itself says serves a key (a round trip that follows redirects), and a fresh
/// read of the cluster's layout.
/// </summary>
public sealed record ReplicaRoutes(Func<RedisKey, int> SlotOf, Func<RedisKey, IServer?> ServerFor, Func<string, IServer> ServerAt,
    Func<RedisKey, Task<string?>> LocateAsync, Func<Task> RefreshAsync)
{
    /// <summary>For no waits: nothing is ever routed.</summary>
    public static ReplicaRoutes Nowhere { get; } = new(_ => 0, _ => null, _ => throw new InvalidOperationException("no routes"),
        _ => Task.FromResult<string?>(null), () => Task.CompletedTask);
}
