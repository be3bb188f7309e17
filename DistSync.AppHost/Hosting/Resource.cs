namespace DistSync.AppHost.Hosting;

/// <summary>The life of a resource, as the dashboard and the start-up summary show it.</summary>
public enum ResourceState
{
    NotStarted,
    Starting,
    Running,
    Healthy,
    Unhealthy,
    Stopping,
    Stopped,
    Exited,
    FailedToStart,
}

/// <summary>
/// Something the AppHost runs: a name, how to start it as a process, the environment it gets and the
/// endpoint it serves. Mirrors Aspire's resource model in the small.
/// </summary>
public abstract class Resource(string name)
{
    public string Name { get; } = name;

    /// <summary>"redis" or "node", as the dashboard shows it.</summary>
    public abstract string Type { get; }

    /// <summary>Environment variables for the process, beyond the inherited ones.</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Resources this one was given with <c>WithReference</c>, in the order given.</summary>
    public List<Resource> References { get; } = [];

    /// <summary>The loopback port the resource listens on.</summary>
    public int Port { get; set; }

    /// <summary>Set by the orchestrator when it decides where the resource keeps its data.</summary>
    public string DataDir { get; set; } = "";

    /// <summary>The URL a person or a client uses to reach the resource.</summary>
    public abstract string Endpoint { get; }

    /// <summary>The environment variables a resource that references this one receives.</summary>
    public abstract IEnumerable<KeyValuePair<string, string>> ReferenceEnvironment();

    /// <summary>Whether the process is up and serving.</summary>
    public abstract Task<bool> IsHealthyAsync(HttpClient http, CancellationToken cancellationToken);

    /// <summary>What to run: the executable, its arguments and its working directory.</summary>
    public abstract ProcessLaunch CreateLaunch();

    /// <summary>Names whose values are secrets and must be masked wherever the environment is shown.</summary>
    public static bool IsSecret(string name) =>
        name.Contains("KEY", StringComparison.OrdinalIgnoreCase)
        || name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase)
        || name.Contains("TOKEN", StringComparison.OrdinalIgnoreCase)
        || name.Contains("HEADERS", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("ConnectionStrings__", StringComparison.Ordinal);
}

/// <summary>How a resource's process is started.</summary>
public sealed record ProcessLaunch(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory);
