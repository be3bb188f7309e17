namespace DistSync.LoadTests.Cluster;

/// <summary>
/// How a benchmark reaches the cluster (<c>--driver</c>): <see cref="Client"/> through DistSync.Client, as an app does,
/// or <see cref="Http"/> through <see cref="ClusterClient"/>'s raw requests. The two measure the same API with and
/// without the client's routing, retries and serialization.
/// </summary>
public static class Drivers
{
    public const string Option = "driver";

    /// <summary>One shared <c>DistSyncClient</c>: lock writes to the leader, publishes to their partition's owner, cache calls to the key's home.</summary>
    public const string Client = "client";

    /// <summary>Pre-encoded requests spread over the nodes round-robin; a node that does not serve a request forwards it.</summary>
    public const string Http = "http";

    /// <summary>What an app gets: the figures a user of DistSync can expect, client costs included.</summary>
    public const string Default = Client;

    public static readonly string[] All = [Client, Http];
}
