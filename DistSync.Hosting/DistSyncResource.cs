namespace DistSync.Hosting;

/// <summary>
/// A DistSync cluster as one resource: its nodes are children of it in the dashboard, and its connection string names
/// every node's endpoint and the writer token, in the form the DistSync client reads:
/// <c>Endpoints=http://127.0.0.1:8001,http://127.0.0.1:8002;Token=…</c> (no <c>Token</c> when auth is off).
/// It is Running while a node runs, and healthy once the cluster has a leader, so <c>WaitFor</c> waits for that.
/// </summary>
public sealed class DistSyncResource(string name, ParameterResource? writerToken, bool publishMode)
    : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    /// <summary>The resource type the dashboard shows.</summary>
    public const string ResourceType = "DistSync";

    /// <summary>The name of every node's HTTP endpoint (its API, and its peers' address for it).</summary>
    public const string NodeEndpointName = "http";

    private IReadOnlyList<IResourceWithEndpoints> _nodes = [];

    /// <summary>The token a client app gets (the writer role: read and write, no administration); null when auth is off.</summary>
    public ParameterResource? WriterToken { get; } = writerToken;

    /// <summary>node1..nodeN, in order: the nodes that start with the app, and that clients are given.</summary>
    public IReadOnlyList<IResourceWithEndpoints> Nodes => _nodes;

    /// <summary>The spare nodes after them, started only by the Add node command (see <see cref="DistSyncOptions.SpareNodes"/>).</summary>
    public IReadOnlyList<IResourceWithEndpoints> Spares { get; private set; } = [];

    /// <summary>Every node resource, spares included.</summary>
    public IEnumerable<IResourceWithEndpoints> AllNodes => _nodes.Concat(Spares);

    /// <summary>The Redis every node keeps queue messages and cache memory in.</summary>
    public IResourceWithConnectionString? Redis { get; internal set; }

    /// <summary>
    /// Every node's endpoint, comma-separated. In run mode each is <c>http://127.0.0.1:PORT</c> (the nodes listen on IPv4
    /// loopback only); in a manifest each is the node's binding URL, which the deployer resolves.
    /// </summary>
    public ReferenceExpression EndpointsExpression
    {
        get
        {
            var endpoints = new ReferenceExpressionBuilder();
            for (var i = 0; i < _nodes.Count; i++)
            {
                if (i > 0)
                {
                    endpoints.AppendLiteral(",");
                }

                var endpoint = _nodes[i].GetEndpoint(DistSyncNodes.EndpointName);
                if (publishMode)
                {
                    endpoints.Append($"{endpoint.Property(EndpointProperty.Url)}");
                }
                else
                {
                    endpoints.Append($"{endpoint.Property(EndpointProperty.Scheme)}://{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}");
                }
            }

            return endpoints.Build();
        }
    }

    public ReferenceExpression ConnectionStringExpression =>
        WriterToken is null
            ? ReferenceExpression.Create($"Endpoints={EndpointsExpression}")
            : ReferenceExpression.Create($"Endpoints={EndpointsExpression};Token={WriterToken}");

    /// <summary>The same two values apart, for apps that read <c>DISTSYNC_ENDPOINTS</c> and <c>DISTSYNC_TOKEN</c>.</summary>
    public IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties()
    {
        yield return new("Endpoints", EndpointsExpression);
        if (WriterToken is not null)
        {
            yield return new("Token", ReferenceExpression.Create($"{WriterToken}"));
        }
    }

    internal void SetNodes(IReadOnlyList<IResourceWithEndpoints> nodes, IReadOnlyList<IResourceWithEndpoints> spares)
    {
        _nodes = nodes;
        Spares = spares;
    }
}
