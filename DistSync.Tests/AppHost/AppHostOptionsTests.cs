using DistSync.AppHost.Hosting;

namespace DistSync.Tests.AppHost;

public class AppHostOptionsTests
{
    [Fact]
    public void Parse_NoArguments_GivesThreeNodesOn8001()
    {
        var options = AppHostOptions.Parse([]);

        Assert.Equal(3, options.Nodes);
        Assert.Equal(8001, options.BasePort);
        Assert.True(options.RestartOnCrash);
        Assert.Null(options.RedisConnectionString);
    }

    [Fact]
    public void Parse_AllOptions_AreRead()
    {
        var options = AppHostOptions.Parse(["--nodes", "5", "--base-port", "9001", "--redis", "127.0.0.1:6379", "--data-dir", "/tmp/x", "--no-restart", "--quiet", "--clean"]);

        Assert.Equal(5, options.Nodes);
        Assert.Equal(9001, options.BasePort);
        Assert.Equal("127.0.0.1:6379", options.RedisConnectionString);
        Assert.Equal("/tmp/x", options.DataDir);
        Assert.False(options.RestartOnCrash);
        Assert.False(options.EchoConsole);
        Assert.True(options.Clean);
    }

    [Theory]
    [InlineData(new[] { "--nodes", "4" }, "--nodes must be 1, 3, 5 or 7")]
    [InlineData(new[] { "--nodes", "two" }, "--nodes must be 1, 3, 5 or 7")]
    [InlineData(new[] { "--nodes" }, "Option --nodes needs a value")]
    [InlineData(new[] { "--base-port", "70000" }, "takes a port number from 1 to 65535")]
    [InlineData(new[] { "--base-port", "65534" }, "leaves no room for 3 nodes")]
    [InlineData(new[] { "--redis-server", "memcached" }, "--redis-server must be 'redis-server' or 'garnet'")]
    [InlineData(new[] { "--frobnicate" }, "Unknown option '--frobnicate'")]
    [InlineData(new[] { "--max-traces", "0" }, "takes a whole number from 1 to 10000000")]
    public void Parse_BadOption_ThrowsWithWhatToDo(string[] args, string expected)
    {
        var error = Assert.Throws<AppHostException>(() => AppHostOptions.Parse(args));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Parse_DashboardOptions_AreRead()
    {
        var options = AppHostOptions.Parse(["--dashboard-port", "19888", "--otlp-grpc-port", "19889", "--otlp-http-port", "19890", "--no-auth", "--max-traces", "500", "--max-logs", "600", "--max-metric-points", "700"]);

        Assert.Equal((19888, 19889, 19890), (options.DashboardPort, options.OtlpGrpcPort, options.OtlpHttpPort));
        Assert.False(options.DashboardAuth);
        Assert.Equal((500, 600, 700), (options.MaxTraces, options.MaxLogRecords, options.MaxMetricPoints));
        Assert.True(AppHostOptions.Parse(["--no-dashboard"]) is { Dashboard: false });
    }

    [Fact]
    public void Declare_ThreeNodes_EachReferencesRedisAndTheOtherTwo()
    {
        var builder = ClusterTopology.Declare(new AppHostOptions { BasePort = 8001, DataDir = "/tmp/distsync-declare" });
        var node2 = builder.Resources.OfType<NodeResource>().Single(n => n.Name == "node2");

        Assert.Equal("http://127.0.0.1:8002", node2.Environment["ASPNETCORE_URLS"]);
        Assert.Equal("http://127.0.0.1:8001", node2.Environment["services__node1__http__0"]);
        Assert.Equal("http://127.0.0.1:8003", node2.Environment["services__node3__http__0"]);
        Assert.False(node2.Environment.ContainsKey("services__node2__http__0"));
        Assert.StartsWith("127.0.0.1:", node2.Environment["ConnectionStrings__redis"], StringComparison.Ordinal);
        Assert.Contains(",password=", node2.Environment["ConnectionStrings__redis"], StringComparison.Ordinal);
        Assert.Equal("node2", node2.Environment["DistSync__NodeId"]);
        Assert.Equal(builder.ClusterKey, node2.Environment["DistSync__ClusterKey"]);
    }

    [Theory]
    [InlineData("DistSync__ClusterKey", true)]
    [InlineData("ConnectionStrings__redis", true)]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", true)]
    [InlineData("ASPNETCORE_URLS", false)]
    [InlineData("DistSync__NodeId", false)]
    public void IsSecret_NamesThatHoldSecrets_AreMasked(string name, bool secret) =>
        Assert.Equal(secret, Resource.IsSecret(name));
}
