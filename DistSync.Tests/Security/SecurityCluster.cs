using Aspire.Hosting.ApplicationModel;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DistSync.Tests.Security;

/// <summary>
/// One real cluster for the security tests, with tokens beyond the AppHost's three: one limited to <c>billing/</c>,
/// one held to 3 requests a second, and a cap of 2 blocking waits per token per node.
/// </summary>
public sealed class SecurityCluster() : ClusterFixture(new ClusterSettings
{
    NodeEnvironment = new Dictionary<string, string>
    {
        ["DistSync__Auth__Tokens__billing__Secret"] = BillingToken,
        ["DistSync__Auth__Tokens__billing__Role"] = "writer",
        ["DistSync__Auth__Tokens__billing__Prefixes__0"] = "billing/",
        ["DistSync__Auth__Tokens__slow__Secret"] = SlowToken,
        ["DistSync__Auth__Tokens__slow__Role"] = "reader",
        ["DistSync__Auth__Tokens__slow__RequestsPerSecond"] = "3",
        ["DistSync__Auth__MaxBlockingWaits"] = "2",
    },
})
{
    public const string BillingToken = "billing-token-0123456789abcdef";
    public const string SlowToken = "slow-token-0123456789abcdef";

    /// <summary>A client of <paramref name="node"/> that sends this exact Authorization header (none when null).</summary>
    public HttpClient WithAuthorization(string node, string? header)
    {
        var http = CreateHttpClient(node, role: null);
        if (header is not null)
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        }

        return http;
    }

    public HttpClient WithToken(string node, string token) => WithAuthorization(node, $"Bearer {token}");

    /// <summary>An AppHost parameter's value (the generated cluster key and id).</summary>
    public async Task<string> ParameterAsync(string name)
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(TestContext.Current.CancellationToken) ?? throw new InvalidOperationException($"no value for {name}");
    }

    /// <summary>The node's audit file, one JSON event per line.</summary>
    public string AuditFile(string node) => Path.Combine(DataDir, node, "audit.jsonl");
}
