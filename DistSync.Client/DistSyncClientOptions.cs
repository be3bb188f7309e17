namespace DistSync.Client;

/// <summary>Where the cluster is and who this client is. One <see cref="DistSyncClient"/> per app is enough.</summary>
public sealed class DistSyncClientOptions
{
    /// <summary>Any of the cluster's nodes; the client learns the others and sends each request where it is served.</summary>
    public IList<Uri> Endpoints { get; init; } = [];

    /// <summary>The bearer token (a writer token for locks, the queue and cache writes); null when the cluster runs without auth.</summary>
    public string? Token { get; init; }

    /// <summary>Names this client in lock tables and the audit log; unique per instance unless set.</summary>
    public string ClientId { get; init; } = DefaultClientId();

    /// <summary>How long one HTTP attempt may take before it is given up (a lock wait adds its own wait on top).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the client keeps trying a request that is safe to retry (no leader yet, a node down).</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The lock session's time to live: how long after its last acknowledged keep-alive the server keeps this client's
    /// holds (keep-alives go every third of it). A client cut off from the cluster loses its holds after about this long.
    /// </summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How much earlier than the server could end the session the client counts its holds lost: room for clocks that run
    /// at different rates and for pauses of this process. Default: 2 % of <see cref="SessionTtl"/> (the cluster allows
    /// 1 % drift), at least 50 ms.
    /// </summary>
    public TimeSpan? SessionSafetyMargin { get; init; }

    /// <summary>
    /// Whether the client reads the cluster's topology to learn every node and send each request where it is served.
    /// Turn it off when the nodes' own URLs are not reachable from here (a proxy or load balancer in between): every
    /// request then goes to <see cref="Endpoints"/>, and the nodes forward.
    /// </summary>
    public bool DiscoverNodes { get; init; } = true;

    /// <summary>
    /// The node that serves this app's cache reads and writes, when one runs beside it: reads are then hits in that node's
    /// memory, with no hop, and stay coherent with every other node's writes. When it cannot answer, the client tries the
    /// other nodes. Default (null): each key's home.
    /// </summary>
    public Uri? CacheNode { get; init; }

    /// <summary>How queue payloads and cached values are written as JSON (web defaults unless set).</summary>
    public System.Text.Json.JsonSerializerOptions PayloadJson { get; init; } = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>Reads <c>Endpoints=http://host:8001,http://host:8002;Token=…;ClientId=…</c> (keys in any case, in any order).</summary>
    public static DistSyncClientOptions FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        IList<Uri> endpoints = [];
        string? token = null;
        string? clientId = null;
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"'{part}' is not key=value; a DistSync connection string reads Endpoints=http://host:port[,…];Token=….");
            }

            var (key, value) = (part[..equals].Trim(), part[(equals + 1)..].Trim());
            switch (key.ToLowerInvariant())
            {
                case "endpoints" or "endpoint":
                    endpoints = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseEndpoint)];
                    break;
                case "token":
                    token = value.Length == 0 ? null : value;
                    break;
                case "clientid":
                    clientId = value;
                    break;
                default:
                    throw new FormatException($"Unknown key '{key}' in the DistSync connection string; the keys are Endpoints, Token and ClientId.");
            }
        }

        if (endpoints.Count == 0)
        {
            throw new FormatException("The DistSync connection string names no endpoint: Endpoints=http://host:port[,…].");
        }

        return clientId is null
            ? new DistSyncClientOptions { Endpoints = endpoints, Token = token }
            : new DistSyncClientOptions { Endpoints = endpoints, Token = token, ClientId = clientId };
    }

    internal void Validate()
    {
        if (Endpoints.Count == 0)
        {
            throw new ArgumentException("DistSyncClientOptions.Endpoints names no node.", nameof(Endpoints));
        }

        if (string.IsNullOrWhiteSpace(ClientId) || ClientId.Length > 128)
        {
            throw new ArgumentException("DistSyncClientOptions.ClientId must be 1 to 128 characters.", nameof(ClientId));
        }
    }

    private static string DefaultClientId()
    {
        var machine = Environment.MachineName.ToLowerInvariant();
        return $"{machine[..Math.Min(machine.Length, 40)]}-{Guid.NewGuid():N}";
    }

    private static Uri ParseEndpoint(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"'{text}' is not an http(s) URL of a DistSync node.");
}
