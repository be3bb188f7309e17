using DistSync.Node.Hosting;
using StackExchange.Redis;

namespace DistSync.Tests.Hosting;

/// <summary>A connection reset the Redis client lets out raw is handled as every other Redis failure is.</summary>
public sealed class RedisFailuresTests
{
    [Fact]
    public async Task ARawConnectionReset_BecomesARedisConnectionException_KeepingTheCause()
    {
        var reset = new IOException("Connection reset by peer");

        var failure = await Assert.ThrowsAsync<RedisConnectionException>(() => Task.FromException<int>(reset).AsRedisFailure());

        Assert.Same(reset, failure.InnerException);
        Assert.Equal(ConnectionFailureType.SocketFailure, failure.FailureType);
    }

    [Fact]
    public async Task APipeTheConnectionClosedUnderAWrite_BecomesARedisConnectionException()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        await pipe.Writer.CompleteAsync();
        var closed = await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipe.Writer.WriteAsync(new byte[1], TestContext.Current.CancellationToken));

        var failure = await Assert.ThrowsAsync<RedisConnectionException>(() => Task.FromException<int>(closed).AsRedisFailure());

        Assert.Same(closed, failure.InnerException);
    }

    [Fact]
    public async Task ACallTheClientAbandoned_BecomesARedisConnectionException()
    {
        // What the client's call gives when it disconnects a socket it found dead: nothing here asked for a cancellation.
        var abandoned = Task.FromCanceled<int>(new CancellationToken(canceled: true));

        var failure = await Assert.ThrowsAsync<RedisConnectionException>(() => abandoned.AsRedisFailure());

        Assert.IsType<TaskCanceledException>(failure.InnerException);
        Assert.Equal(ConnectionFailureType.SocketFailure, failure.FailureType);
    }

    [Fact]
    public async Task OtherFailuresAndResults_PassThrough()
    {
        var refused = new InvalidOperationException("a script bug");

        Assert.Same(refused, await Assert.ThrowsAsync<InvalidOperationException>(() => Task.FromException<int>(refused).AsRedisFailure()));
        Assert.Equal(7, await Task.FromResult(7).AsRedisFailure());
    }
}
