using System.Net;
using DistSync.Node.Hosting;
using StackExchange.Redis;

namespace DistSync.Tests.Hosting;

/// <summary>How writes share <c>WAIT</c>s, with a fake <c>WAIT</c> the test answers (no server).</summary>
public sealed class ReplicaWaitsTests
{
    private static readonly EndPoint PrimaryA = new IPEndPoint(IPAddress.Loopback, 7001);
    private static readonly EndPoint PrimaryB = new IPEndPoint(IPAddress.Loopback, 7002);

    [Fact]
    public async Task WritesDuringAWait_ShareTheNextWait_NotTheOneInFlight()
    {
        var fake = new FakeWait();
        var waits = new ReplicaWaits(1, TimeSpan.FromSeconds(1), fake.WaitAsync, ReplicaRoutes.Nowhere);

        var first = waits.AfterWriteAsync(PrimaryA);
        var second = waits.AfterWriteAsync(PrimaryA);
        var third = waits.AfterWriteAsync(PrimaryA);

        Assert.Equal(new[] { PrimaryA }, fake.Calls);
        fake.Answer(0, 1);
        await first;
        Assert.False(second.IsCompleted);
        Assert.Equal(2, await fake.CallCountAsync(2));
        Assert.Same(second, third);
        fake.Answer(1, 1);
        await second;
        var fourth = waits.AfterWriteAsync(PrimaryA);
        Assert.Equal(3, await fake.CallCountAsync(3));
        fake.Answer(2, 2);
        await fourth;
    }

    [Fact]
    public async Task AShortCount_FailsEveryWriteOfThatBatch_AndOnlyThose()
    {
        var fake = new FakeWait();
        var waits = new ReplicaWaits(2, TimeSpan.FromMilliseconds(250), fake.WaitAsync, ReplicaRoutes.Nowhere);
        var first = waits.AfterWriteAsync(PrimaryA);
        var batch = new[] { waits.AfterWriteAsync(PrimaryA), waits.AfterWriteAsync(PrimaryA) };
        fake.Answer(0, 2);
        await first;
        await fake.CallCountAsync(2);

        fake.Answer(1, 1);

        foreach (var write in batch)
        {
            var failure = await Assert.ThrowsAsync<ReplicaWaitException>(() => write);
            Assert.Equal(1, failure.Acknowledged);
            Assert.Equal(2, failure.Wanted);
            Assert.IsAssignableFrom<RedisException>(failure);
        }

        var after = waits.AfterWriteAsync(PrimaryA);
        await fake.CallCountAsync(3);
        fake.Answer(2, 2);
        await after;
    }

    [Fact]
    public async Task AFailedWait_FailsItsBatch_WithTheRedisFailure()
    {
        var fake = new FakeWait();
        var waits = new ReplicaWaits(1, TimeSpan.FromSeconds(1), fake.WaitAsync, ReplicaRoutes.Nowhere);
        var write = waits.AfterWriteAsync(PrimaryA);
        var lost = new RedisConnectionException(ConnectionFailureType.SocketFailure, "gone");

        fake.Fail(0, lost);

        Assert.Same(lost, await Assert.ThrowsAsync<RedisConnectionException>(() => write));
    }

    [Fact]
    public async Task EachPrimary_HasItsOwnWait()
    {
        var fake = new FakeWait();
        var waits = new ReplicaWaits(1, TimeSpan.FromSeconds(1), fake.WaitAsync, ReplicaRoutes.Nowhere);

        var onA = waits.AfterWriteAsync(PrimaryA);
        var onB = waits.AfterWriteAsync(PrimaryB);

        Assert.Equal(new[] { PrimaryA, PrimaryB }, fake.Calls);
        fake.Answer(1, 1);
        await onB;
        Assert.False(onA.IsCompleted);
        fake.Answer(0, 1);
        await onA;
    }

    [Fact]
    public void NoReplicasAsked_SendsNoWait()
    {
        var fake = new FakeWait();
        var waits = new ReplicaWaits(0, TimeSpan.FromSeconds(1), fake.WaitAsync, ReplicaRoutes.Nowhere);

        Assert.True(waits.AfterWriteAsync(PrimaryA).IsCompletedSuccessfully);
        Assert.Empty(fake.Calls);
    }

    [Fact]
    public async Task AWrite_RunsOnOneServerByName_AndItsWaitGoesToThatServer()
    {
        var fake = new FakeWait();
        var server = ScriptServer.Create(PrimaryA, "OK");
        var waits = new ReplicaWaits(1, TimeSpan.FromSeconds(1), fake.WaitAsync, Routes(server));

        var write = waits.EvaluateAsync(NoDatabase, "script", ["k"], ["a"], wroteNothing: _ => false);

        Assert.Equal(1, await fake.CallCountAsync(1));
        Assert.Equal(new[] { PrimaryA }, fake.Calls);
        fake.Answer(0, 1);
        await write;
        Assert.Equal(["EVALSHA"], ScriptServer.Commands(server));
    }

    [Fact]
    public async Task AServerWithoutTheScript_LoadsIt_AndRunsItOnceMore()
    {
        var fake = new FakeWait();
        var server = ScriptServer.Create(PrimaryA, "NOSCRIPT", "OK");
        var waits = new ReplicaWaits(1, TimeSpan.FromSeconds(1), fake.WaitAsync, Routes(server));

        var write = waits.EvaluateAsync(NoDatabase, "script", ["k"], [], wroteNothing: _ => false);
        await fake.CallCountAsync(1);
        fake.Answer(0, 1);
        await write;

        Assert.Equal(["EVALSHA", "SCRIPT LOAD", "EVALSHA"], ScriptServer.Commands(server));
    }

    [Fact]
    public async Task AServerThatNoLongerOwnsTheSlot_RunsNothing_TheWriteRunsWhereRedisSays_AndWaitsThere()
    {
        // After a failover the client's map may still name the old primary: it answers MOVED and runs nothing.
        var fake = new FakeWait();
        var stale = ScriptServer.Create(PrimaryA, "MOVED");
        var owner = ScriptServer.Create(PrimaryB, "OK", "OK");
        var at = new List<string>();
        var waits = new ReplicaWaits(1, TimeSpan.FromSeconds(1), fake.WaitAsync, Routes(stale, hostAndPort => { at.Add(hostAndPort); return owner; }));

        var write = waits.EvaluateAsync(NoDatabase, "script", ["k"], [], wroteNothing: _ => false);
        await fake.CallCountAsync(1);
        Assert.Equal(new[] { PrimaryB }, fake.Calls);
        fake.Answer(0, 1);
        await write;
        Assert.Equal(["127.0.0.1:7002"], at);

        // The next write to that slot goes to the member Redis named, though the client's map still names the old one.
        var next = waits.EvaluateAsync(NoDatabase, "script", ["k"], [], wroteNothing: _ => false);
        await fake.CallCountAsync(2);
        fake.Answer(1, 1);
        await next;
        Assert.Equal(["EVALSHA"], ScriptServer.Commands(stale));
        Assert.Equal(["EVALSHA", "EVALSHA"], ScriptServer.Commands(owner));
    }

    [Theory]
    [InlineData("MOVED 4426 127.0.0.1:7002", "127.0.0.1:7002")]
    [InlineData("Key has MOVED to Endpoint 127.0.0.1:7002 and hashslot 4426 but CommandFlags.NoRedirect was specified - redirect not followed for EVALSHA", "127.0.0.1:7002")]
    [InlineData("NOSCRIPT No matching script.", null)]
    public void MovedTo_ReadsTheMemberFromEitherWording(string message, string? member) =>
        Assert.Equal(member, ReplicaWaits.MovedTo(new RedisServerException(message)));

    [Fact]
    public async Task AWriteThatWroteNothing_WaitsForNoReplica()
    {
        var fake = new FakeWait();
        var waits = new ReplicaWaits(1, TimeSpan.FromSeconds(1), fake.WaitAsync, Routes(ScriptServer.Create(PrimaryA, "STALE")));

        await waits.EvaluateAsync(NoDatabase, "script", ["k"], [], wroteNothing: r => (string?)r == "STALE");

        Assert.Empty(fake.Calls);
    }

    private static ReplicaRoutes Routes(IServer server, Func<string, IServer>? at = null) =>
        new(_ => 4426, _ => server, at ?? (_ => throw new InvalidOperationException("no redirect expected")), _ => Task.FromResult<string?>(null), () => Task.CompletedTask);

    /// <summary>With waits on, the database (which would route by its own map) is not used.</summary>
    private static readonly IDatabase NoDatabase = System.Reflection.DispatchProxy.Create<IDatabase, Unused>();

    private class Unused : System.Reflection.DispatchProxy
    {
        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) =>
            throw new NotSupportedException($"{targetMethod?.Name} is not to be called");
    }

    /// <summary>
    /// An <see cref="IServer"/> that answers <c>EVALSHA</c> from a script of replies ("OK", "STALE"; "NOSCRIPT" and
    /// "MOVED" as the errors Redis gives), takes <c>SCRIPT LOAD</c>, and records what it was sent.
    /// </summary>
    private class ScriptServer : System.Reflection.DispatchProxy
    {
        private readonly Queue<string> _replies = new();
        private readonly List<string> _commands = [];
        private EndPoint _endPoint = null!;

        public static IServer Create(EndPoint endPoint, params string[] replies)
        {
            var server = Create<IServer, ScriptServer>();
            var self = (ScriptServer)(object)server;
            self._endPoint = endPoint;
            foreach (var reply in replies)
            {
                self._replies.Enqueue(reply);
            }

            return server;
        }

        public static IReadOnlyList<string> Commands(IServer server) => ((ScriptServer)(object)server)._commands;

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod?.Name)
            {
                case "get_EndPoint":
                    return _endPoint;
                case nameof(IServer.ScriptLoadAsync):
                    _commands.Add("SCRIPT LOAD");
                    return Task.FromResult(Array.Empty<byte>());
                case nameof(IServer.ExecuteAsync) when args is ["EVALSHA", ..]:
                    _commands.Add("EVALSHA");
                    return _replies.Dequeue() switch
                    {
                        "NOSCRIPT" => Task.FromException<RedisResult>(new RedisServerException("NOSCRIPT No matching script. Please use EVAL.")),
                        "MOVED" => Task.FromException<RedisResult>(new RedisServerException(
                            "Key has MOVED to Endpoint 127.0.0.1:7002 and hashslot 4426 but CommandFlags.NoRedirect was specified - redirect not followed for EVALSHA")),
                        var reply => Task.FromResult(RedisResult.Create((RedisValue)reply)),
                    };
                default:
                    throw new NotSupportedException(targetMethod?.Name);
            }
        }
    }

    /// <summary>Records each <c>WAIT</c> sent and answers it when the test says.</summary>
    private sealed class FakeWait
    {
        private readonly List<TaskCompletionSource<long>> _answers = [];
        private readonly List<EndPoint> _calls = [];
        private TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<EndPoint> Calls
        {
            get
            {
                lock (_answers)
                {
                    return [.. _calls];
                }
            }
        }

        public Task<long> WaitAsync(EndPoint primary)
        {
            var answer = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            TaskCompletionSource called;
            lock (_answers)
            {
                _calls.Add(primary);
                _answers.Add(answer);
                (called, _called) = (_called, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            called.SetResult();
            return answer.Task;
        }

        /// <summary>Returns once <paramref name="count"/> <c>WAIT</c>s have been sent (the next one starts when the previous completes).</summary>
        public async Task<int> CallCountAsync(int count)
        {
            while (true)
            {
                Task called;
                lock (_answers)
                {
                    if (_calls.Count >= count)
                    {
                        return _calls.Count;
                    }

                    called = _called.Task;
                }

                await called.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            }
        }

        public void Answer(int call, long replicas) => Get(call).SetResult(replicas);

        public void Fail(int call, Exception failure) => Get(call).SetException(failure);

        private TaskCompletionSource<long> Get(int call)
        {
            lock (_answers)
            {
                return _answers[call];
            }
        }
    }
}
