using System.Net.Sockets;
using StackExchange.Redis;

namespace DistSync.Node.Hosting;

/// <summary>
/// The Redis client can let a connection reset out raw, as an <see cref="IOException"/> from its socket layer, instead
/// of a <see cref="RedisConnectionException"/> (seen when Redis was killed under a script call), or as an
/// <see cref="InvalidOperationException"/> from the pipe it writes to (the connection closed it while a command was
/// being written; seen when Redis was restarted under a publish), or as a cancelled task (no call here is given a token:
/// the client abandoned it, seen when it found its socket dead after a command timed out and reconnected; uncaught, it
/// stopped the node). Every caller handles a
/// Redis failure as a <see cref="RedisException"/> (a 503 that may have been applied, a view dropped, a retry), so the
/// stores pass their calls through here and the raw ones become what they are.
/// </summary>
public static class RedisFailures
{
    public static async Task<T> AsRedisFailure<T>(this Task<T> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call;
        }
        catch (Exception ex) when (ex is IOException or SocketException
            || ex is OperationCanceledException
            || (ex is InvalidOperationException && ex.TargetSite?.DeclaringType?.Namespace == "System.IO.Pipelines"))
        {
            throw new RedisConnectionException(ConnectionFailureType.SocketFailure, $"The connection to Redis failed under the call: {ex.Message}", ex);
        }
    }
}
