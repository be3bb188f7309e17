using System.Reflection;
using System.Security.Cryptography;

namespace DistSync.AppHost.Hosting;

/// <summary>
/// Declares the resources of an application, Aspire style: <c>AddRedis</c>, <c>AddNode</c>,
/// <c>WithReference</c>, then <c>Build</c>. Ports and data folders are decided here, so a test and
/// <c>dotnet run</c> take the same path with different options.
/// </summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];
    private int _nextNodePort;

    private DistributedApplicationBuilder(AppHostOptions options)
    {
        Options = options;
        DataDir = Path.GetFullPath(options.DataDir);
        ClusterKey = NewSecret();
        _nextNodePort = options.BasePort;
    }

    public AppHostOptions Options { get; }

    public string DataDir { get; }

    /// <summary>The secret nodes present to each other on internal routes; new every run.</summary>
    public string ClusterKey { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    public static DistributedApplicationBuilder Create(AppHostOptions options) => new(options);

    public ResourceBuilder<RedisResource> AddRedis(string name)
    {
        var kind = Options.RedisConnectionString is not null ? RedisServerKind.External : Options.RedisServer ?? DetectRedisServer();
        var redis = new RedisResource(name, kind, NewSecret(), Options.RedisConnectionString, RepoRoot())
        {
            Port = Options.RedisPort != 0 ? Options.RedisPort : PortAllocator.GetFreePort(),
            DataDir = Path.Combine(DataDir, name),
        };
        return Add(redis);
    }

    public ResourceBuilder<NodeResource> AddNode(string name)
    {
        var node = new NodeResource(name)
        {
            Port = Options.BasePort == 0 ? PortAllocator.GetFreePort() : _nextNodePort++,
            DataDir = Path.Combine(DataDir, name),
        };
        node.Environment["DistSync__NodeId"] = name;
        node.Environment["DistSync__DataDir"] = node.DataDir;
        node.Environment["DistSync__ClusterKey"] = ClusterKey;
        node.Environment["ASPNETCORE_URLS"] = node.Endpoint;
        node.Environment["OTEL_SERVICE_NAME"] = name;
        node.Environment["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={name}";
        // One line per log record, so the prefixed console stays readable.
        node.Environment["Logging__Console__FormatterName"] = "simple";
        node.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        node.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (key, value) in Options.NodeEnvironment)
        {
            node.Environment[key] = value;
        }

        return Add(node);
    }

    /// <summary>
    /// Points every node's OpenTelemetry exporter at an OTLP/gRPC endpoint, with the variables Aspire
    /// injects (one-second export intervals, so the dashboard is live).
    /// </summary>
    public DistributedApplicationBuilder WithOtlpExporter(Uri endpoint, string headers)
    {
        foreach (var node in _resources.OfType<NodeResource>())
        {
            node.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.ToString().TrimEnd('/');
            node.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
            node.Environment["OTEL_EXPORTER_OTLP_HEADERS"] = headers;
            node.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
            node.Environment["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
            node.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
            node.Environment["OTEL_TRACES_SAMPLER"] = "always_on";
        }

        return this;
    }

    public DistributedApplication Build()
    {
        var names = _resources.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null)
        {
            throw new AppHostException($"Two resources are named '{names.Key}'; names must be unique.");
        }

        return new DistributedApplication(this);
    }

    private ResourceBuilder<T> Add<T>(T resource) where T : Resource
    {
        _resources.Add(resource);
        return new ResourceBuilder<T>(resource);
    }

    private static RedisServerKind DetectRedisServer() =>
        OnPath("redis-server") ? RedisServerKind.RedisServer : RedisServerKind.Garnet;

    internal static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    /// <summary>The checkout the AppHost was built from (the Garnet tool manifest lives there).</summary>
    internal static string RepoRoot() =>
        typeof(DistributedApplicationBuilder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "DistSync.RepoRoot").Value!;

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

/// <summary>Fluent configuration of one resource.</summary>
public sealed class ResourceBuilder<T>(T resource) where T : Resource
{
    public T Resource { get; } = resource;

    /// <summary>Gives this resource what it needs to reach <paramref name="other"/> (a connection string or a service URL).</summary>
    public ResourceBuilder<T> WithReference<TOther>(ResourceBuilder<TOther> other) where TOther : Resource
    {
        if (ReferenceEquals(other.Resource, Resource))
        {
            throw new AppHostException($"{Resource.Name} cannot reference itself.");
        }

        Resource.References.Add(other.Resource);
        foreach (var (key, value) in other.Resource.ReferenceEnvironment())
        {
            Resource.Environment[key] = value;
        }

        return this;
    }

    public ResourceBuilder<T> WithEnvironment(string name, string value)
    {
        Resource.Environment[name] = value;
        return this;
    }
}
