using DistSync.Node.Hosting;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Hosting;

/// <summary>A second node on a data folder a running node holds stops at start; the folder and the first node carry on.</summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DataDirInUseTests
{
    [Fact]
    public async Task Start_OnAFolderARunningNodeHolds_IsRefusedNamingTheFolder()
    {
        await using var first = await InProcessNode.StartAsync(new Dictionary<string, string?>());
        var dataDir = first.Services.GetRequiredService<IOptions<NodeOptions>>().Value.ResolveDataDir();

        var error = await Record.ExceptionAsync(async () =>
        {
            await using var second = await InProcessNode.StartAsync(new Dictionary<string, string?> { ["DistSync:DataDir"] = dataDir });
        });

        var refused = Assert.IsType<ClusterIdentityException>(error);
        Assert.Contains($"data folder {dataDir} is in use by another process", refused.Message, StringComparison.Ordinal);
        using var http = first.CreateClient();
        using var alive = await http.GetAsync(new Uri("/alive", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.True(alive.IsSuccessStatusCode, $"the first node answered /alive with {alive.StatusCode}");
    }
}
