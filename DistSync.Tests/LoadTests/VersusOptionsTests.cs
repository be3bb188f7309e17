using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Versus;

namespace DistSync.Tests.LoadTests;

public sealed class VersusOptionsTests
{
    [Fact]
    public void From_NoOptions_EverySystemWorkloadAndDriverAtTheDefaultLevels()
    {
        var options = VersusOptions.From(CommandLine.Parse([]));

        Assert.Equal(["distsync", "etcd", "nats", "redis"], options.Systems);
        Assert.Equal(["locks", "contended", "reads", "queue", "cache"], options.Workloads);
        Assert.Equal([1, 10, 50], options.Levels);
        Assert.Equal(["client", "http"], options.Drivers);
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)), (options.Duration, options.Warmup, options.SystemWarmup));
        Assert.Null(options.Urls); // DistSync is started by the tool
        Assert.Equal(["etcd", "nats", "redis"], options.Peers);
        Assert.Equal(["single"], options.RedisSetups); // one redis-server, as before the option
    }

    [Fact]
    public void From_RedisSetups_InOrderAndOnlyRedisWorkloadsAfterTheFirst()
    {
        var options = VersusOptions.From(CommandLine.Parse(["--distsync-redis", "single,cluster,cluster-nowait"]));

        Assert.Equal(["single", "cluster", "cluster-nowait"], options.RedisSetups);
        Assert.Equal(["locks", "contended", "reads", "queue", "cache"], options.WorkloadsOn("single"));
        Assert.Equal(["queue", "cache"], options.WorkloadsOn("cluster"));
        Assert.Equal(["queue", "cache"], options.WorkloadsOn("cluster-nowait"));
    }

    [Fact]
    public void From_RedisSetupsStartingWithACluster_LocksRunOnTheFirst()
    {
        var options = VersusOptions.From(CommandLine.Parse(["--distsync-redis", "cluster-nowait,single", "--workloads", "locks,queue"]));

        Assert.Equal(["locks", "queue"], options.WorkloadsOn("cluster-nowait"));
        Assert.Equal(["queue"], options.WorkloadsOn("single"));
    }

    [Theory]
    [InlineData(new[] { "--distsync-redis", "sentinel" }, "not 'sentinel'")]
    [InlineData(new[] { "--distsync-redis", "cluster,cluster" }, "names a value twice")]
    [InlineData(new[] { "--distsync-redis", "single,cluster", "--workloads", "locks,reads" }, "no chosen workload uses Redis")]
    [InlineData(new[] { "--distsync-redis", "cluster", "--urls", "http://127.0.0.1:9001" }, "--urls names a running cluster")]
    [InlineData(new[] { "--distsync-redis", "cluster", "--systems", "redis" }, "leaves distsync out")]
    public void From_BadRedisSetups_Throws(string[] args, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => VersusOptions.From(CommandLine.Parse(args)));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AppHostArguments_NoWait_OverridesTheClustersReplicaWait()
    {
        Assert.Empty(DistSyncRedis.AppHostArguments("single"));
        Assert.Equal(["--redis", "cluster"], DistSyncRedis.AppHostArguments("cluster"));
        Assert.Equal(["--redis", "cluster", "--DistSync:NodeEnvironment:DistSync__Redis__WaitReplicas=0"], DistSyncRedis.AppHostArguments("cluster-nowait"));
        Assert.Contains("can be lost in a failover", VersusSystems.Durability("distsync", "cluster-nowait"), StringComparison.Ordinal);
        Assert.Contains("WAIT 1 replica", VersusSystems.Durability("distsync", "cluster"), StringComparison.Ordinal);
    }

    [Fact]
    public void From_Lists_AreReadInOrder()
    {
        var options = VersusOptions.From(CommandLine.Parse(["--systems", "redis, distsync", "--workloads", "cache,locks", "--driver", "http", "--levels", "2,4",
            "--seconds", "1", "--warmup", "0", "--system-warmup", "0", "--urls", "http://127.0.0.1:9001"]));

        Assert.Equal(["redis", "distsync"], options.Systems);
        Assert.Equal(["cache", "locks"], options.Workloads);
        Assert.Equal(["http"], options.Drivers);
        Assert.Equal([2, 4], options.Levels);
        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero), (options.Warmup, options.SystemWarmup));
        Assert.Equal(["http://127.0.0.1:9001/"], options.Urls!.Select(u => u.ToString()));
        Assert.Equal(["redis"], options.Peers); // etcd is not chosen, though locks would be measured against it
    }

    [Theory]
    [InlineData("--systems", "distsync,zookeeper", "not 'zookeeper'")]
    [InlineData("--workloads", "locks,locks", "names a value twice")]
    [InlineData("--driver", "grpc", "not 'grpc'")]
    [InlineData("--levels", "1,501", "at most 500 workers")]
    public void From_BadList_ThrowsNamingTheValue(string option, string value, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => VersusOptions.From(CommandLine.Parse([option, value])));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_UrlsWithoutDistSync_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => VersusOptions.From(CommandLine.Parse(["--systems", "etcd", "--urls", "http://127.0.0.1:9001"])));

        Assert.Contains("leaves distsync out", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invocation_UnknownOption_IsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Invocation(["vs", "--nodes", "3"]).Options(VersusOptions.Names));

        Assert.Contains("unknown option --nodes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("locks", new[] { 1, 10, 50 })]
    [InlineData("queue", new[] { 1, 10, 50 })]
    [InlineData("contended", new[] { 10, 50 })]
    [InlineData("reads", new[] { 50 })]
    [InlineData("cache", new[] { 50 })]
    public void Levels_PerWorkload_PairsEverywhereContentionAboveOneReadsAtTheTop(string workload, int[] expected)
    {
        Assert.Equal(expected, VersusWorkloads.Levels(workload, [1, 10, 50]));
    }

    [Theory]
    [InlineData("locks", "etcd")]
    [InlineData("contended", "etcd")]
    [InlineData("reads", "etcd")]
    [InlineData("queue", "nats")]
    [InlineData("cache", "redis")]
    public void Peer_EachWorkload_IsTheSystemUsersWouldPickInstead(string workload, string peer)
    {
        Assert.Equal(peer, VersusWorkloads.Peer(workload));
    }
}
