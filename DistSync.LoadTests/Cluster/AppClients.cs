using DistSync.Client;
using DistSync.LoadTests.Cli;

namespace DistSync.LoadTests.Cluster;

/// <summary>The <see cref="DistSyncClient"/>s this tool drives the cluster through, carrying the tool's token.</summary>
public static class AppClients
{
    /// <summary>
    /// A client that starts from <paramref name="urls"/> (it learns the other members from the topology) under
    /// <paramref name="clientId"/>, or a fresh id of its own when none is given.
    /// </summary>
    public static DistSyncClient Create(IReadOnlyList<Uri> urls, string? clientId = null)
    {
        ArgumentNullException.ThrowIfNull(urls);
        return new DistSyncClient(clientId is null
            ? new DistSyncClientOptions { Endpoints = [.. urls], Token = ApiToken.Current }
            : new DistSyncClientOptions { Endpoints = [.. urls], Token = ApiToken.Current, ClientId = clientId });
    }
}
