using DistSync.LoadTests.Benchmarks;
using DistSync.LoadTests.Measurement;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.LoadTests;

/// <summary>
/// <c>scale</c> small and for real: a 1-node cluster started through the AppHost, each state dimension grown a little,
/// every point measured with the node's own memory and CPU read from <c>/proc</c>. A class of its own, as
/// <see cref="ScenarioNodesTests"/>: its cluster should not run beside another.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ScaleBenchmarkTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "distsync-tests", "scale-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public async Task OneNode_EveryDimensionGrownAndMeasured_WithTheNodesFootprint()
    {
        var settings = new BenchSettings([], TimeSpan.FromSeconds(1), TimeSpan.Zero, 1_000_000);
        var options = new ScaleBenchmark.Options([1], [20], [2], [4], [50], TimeSpan.Zero);
        var output = new StringWriter();

        var points = await ScaleBenchmark.RunAsync(settings, options, _dir, output, TestContext.Current.CancellationToken);

        var text = output.ToString();
        Assert.Equal(["cluster size 1 nodes", "held locks 20", "idle topics (8 partitions each) 2", "partitions of the measured topic 4", "cached keys 50"],
            points.Select(p => $"{p.Dimension} {p.Value}"));
        Assert.Equal(["lock pairs", "round trip", "cache hits"], points[0].Results.Select(r => r.Benchmark));
        Assert.All(points.SelectMany(p => p.Results), r => Assert.True(r.Ok > 0 && r.Failed == 0, $"{r.Benchmark}: {r.Ok} ok, {r.Failed} failed {string.Join(", ", r.Details)}"));
        // A real node's footprint: tens of megabytes resident at least, and a CPU share the machine's cores can hold.
        Assert.All(points, p => Assert.InRange(p.Footprint.MeanResidentMb, 30, 4_000));
        Assert.All(points, p => Assert.InRange(p.Footprint.IdleCpuPercent, 0, 100.0 * Environment.ProcessorCount));
        Assert.Contains("set up held locks to 20: 20 in", text, StringComparison.Ordinal);
        Assert.Contains("set up topics to 2: 2 in", text, StringComparison.Ordinal);
        Assert.Contains("set up reads of 50 keys on each of 1 nodes: 50 in", text, StringComparison.Ordinal);
        var rows = ScaleBenchmark.Markdown(points).Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.Equal(3 + 1 + 1 + 1 + 1, rows.Count);
    }

    [Theory]
    [InlineData("sizes", 2)]
    [InlineData("held", 100_000)]
    [InlineData("topics", 901)]
    [InlineData("partitions", 257)]
    [InlineData("keys", 0)]
    public void PointsPastTheClustersBounds_AreRefused_NamingTheOption(string option, int value)
    {
        var options = new ScaleBenchmark.Options(
            option == "sizes" ? [value] : [3],
            option == "held" ? [value] : [10],
            option == "topics" ? [value] : [10],
            option == "partitions" ? [value] : [8],
            option == "keys" ? [value] : [10],
            TimeSpan.Zero);

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains($"--{option}", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
