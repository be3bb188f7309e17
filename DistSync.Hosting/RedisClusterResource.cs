namespace DistSync.Hosting;

/// <summary>
/// A Redis Cluster of local <c>redis-server</c> processes (<see cref="Members"/>, its children in the dashboard), as one
/// resource whose connection string names every member, so a client finds the whole cluster from any of them. It has no
/// process of its own: <see cref="RedisClusterFormation"/> keeps its state and forms the cluster on its first start.
/// </summary>
public sealed class RedisClusterResource(string name, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    public const string ResourceType = "RedisCluster";

    /// <summary>Three primaries and a replica for each: the smallest cluster that keeps every slot served when one process dies.</summary>
    public const int Size = 6;

    public ParameterResource Password { get; } = password;

    public List<RedisServerResource> Members { get; } = [];

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var expression = new ReferenceExpressionBuilder();
            foreach (var member in Members)
            {
                expression.AppendLiteral("127.0.0.1:");
                expression.AppendFormatted(member.PrimaryEndpoint.Property(EndpointProperty.Port));
                expression.AppendLiteral(",");
            }

            expression.AppendLiteral("password=");
            expression.AppendFormatted(Password);
            return expression.Build();
        }
    }
}
