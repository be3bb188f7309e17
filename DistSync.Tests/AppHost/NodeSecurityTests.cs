using Aspire.Hosting;
using DistSync.Hosting;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace DistSync.Tests.AppHost;

/// <summary>What the AppHost says about the secrets it hands the nodes.</summary>
public sealed class NodeSecurityTests
{
    [Fact]
    public async Task DevTokensBanner_ShowsEachTokenOnlyAsAPrefix()
    {
        var tokens = NodeSecurity.Roles.ToDictionary(r => r, r => $"{r}-0123456789abcdefghij", StringComparer.Ordinal);
        // The AppHost's builder, never built: only its parameters are needed.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [.. tokens.Select(t => $"--Parameters:{NodeSecurity.TokenParameter(t.Key)}={t.Value}")],
            AssemblyName = typeof(NodeSecurity).Assembly.GetName().Name,
            DisableDashboard = true,
        });
        var security = NodeSecurity.Add(builder, new DistSyncOptions());
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(logging => logging.AddProvider(logs));

        await new DevTokensBanner(security, loggers.CreateLogger<DevTokensBanner>()).StartAsync(TestContext.Current.CancellationToken);

        var banner = Assert.Single(logs.Lines, l => l.Contains("development tokens", StringComparison.Ordinal));
        foreach (var (role, token) in tokens)
        {
            Assert.DoesNotContain(token, banner, StringComparison.Ordinal);
            Assert.Contains($"{role}={token[..4]}…", banner, StringComparison.Ordinal);
        }
    }
}
