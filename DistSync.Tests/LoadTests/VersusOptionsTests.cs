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
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3)), (options.Duration, options.Warmup));
        Assert.Null(options.Urls); // DistSync is started by the tool
        Assert.Equal(["etcd", "nats", "redis"], options.Peers);
    }

    [Fact]
    public void From_Lists_AreReadInOrder()
    {
        var options = VersusOptions.From(CommandLine.Parse(["--systems", "redis, distsync", "--workloads", "cache,locks", "--driver", "http", "--levels", "2,4",
            "--seconds", "1", "--warmup", "0", "--urls", "http://127.0.0.1:9001"]));

        Assert.Equal(["redis", "distsync"], options.Systems);
        Assert.Equal(["cache", "locks"], options.Workloads);
        Assert.Equal(["http"], options.Drivers);
        Assert.Equal([2, 4], options.Levels);
        Assert.Equal(TimeSpan.Zero, options.Warmup);
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
