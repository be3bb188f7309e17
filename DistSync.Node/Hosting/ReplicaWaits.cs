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
    private readonly Func<RedisKey, IServer?> _serverFor;
    private readonly Dictionary<EndPoint, Primary> _primaries = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _shas = new(StringComparer.Ordinal);

    /// <param name="wait">Sends <c>WAIT replicas timeout</c> to the primary and returns how many replicas acknowledged.</param>
    /// <param name="serverFor">The server the client's map of slots routes a key to now (no round trip).</param>
    public ReplicaWaits(int replicas, TimeSpan timeout, Func<EndPoint, Task<long>> wait, Func<RedisKey, IServer?> serverFor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        _replicas = replicas;
        _timeout = timeout;
        _wait = wait;
        _serverFor = serverFor;
    }

    /// <summary>No waits: a single server, and the store tests that need none.</summary>
    public static ReplicaWaits None { get; } = new(0, TimeSpan.Zero, _ => Task.FromResult(0L), _ => null);

    public static ReplicaWaits For(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
    {
        var (replicas, timeout) = (options.Value.WaitReplicas, options.Value.WaitTimeout);
        var ms = ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        return new ReplicaWaits(replicas, timeout,
            async endpoint => (long)await redis.GetServer(endpoint).ExecuteAsync("WAIT", replicas.ToString(CultureInfo.InvariantCulture), ms).AsRedisFailure(),
            key => redis.GetServer(key, flags: CommandFlags.DemandMaster));
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

        var server = _serverFor(keys[0])
            ?? throw new RedisConnectionException(ConnectionFailureType.UnableToResolvePhysicalConnection, "No Redis primary known for the key.");
        var sha = _shas.GetOrAdd(script, static s => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(s))));
        object[] command = [sha, keys.Length, .. keys.Select(k => (object)k), .. args.Select(a => (object)a)];
        RedisResult reply;
        try
        {
            reply = await server.ExecuteAsync("EVALSHA", command).AsRedisFailure();
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // Not yet loaded on this server (a new or restarted member): it ran nothing, so load it and run it once more.
            await server.ScriptLoadAsync(script).AsRedisFailure();
            reply = await server.ExecuteAsync("EVALSHA", command).AsRedisFailure();
        }

        if (!wroteNothing(reply))
        {
            await AfterWriteAsync(server.EndPoint);
        }

        return reply;
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
