namespace DistSync.AppHost.Hosting;

/// <summary>
/// The DistSync application: Redis and N nodes, every node referencing Redis and each other. Program.cs
/// and the test fixture both declare the cluster through this one method.
/// </summary>
public static class ClusterTopology
{
    public static DistributedApplicationBuilder Declare(AppHostOptions options)
    {
        var builder = DistributedApplicationBuilder.Create(options);
        var redis = builder.AddRedis("redis");
        var nodes = Enumerable.Range(1, options.Nodes).Select(i => builder.AddNode($"node{i}").WithReference(redis)).ToList();
        foreach (var node in nodes)
        {
            foreach (var peer in nodes.Where(p => p != node))
            {
                node.WithReference(peer);
            }
        }

        return builder;
    }
}
