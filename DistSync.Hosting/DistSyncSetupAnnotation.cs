namespace DistSync.Hosting;

/// <summary>
/// What <c>AddDistSync</c> was given and has made, kept on the resource so the <c>With…</c> calls that follow can
/// re-create the nodes with the new choice (a node's resource type is fixed when it is made).
/// </summary>
internal sealed class DistSyncSetupAnnotation(DistSyncOptions options, NodeSecurity security, NodeLaunch launch) : IResourceAnnotation
{
    public DistSyncOptions Options { get; set; } = options;

    public NodeSecurity Security { get; } = security;

    public NodeLaunch Launch { get; set; } = launch;

    public IResourceBuilder<IResourceWithConnectionString>? Redis { get; set; }

    /// <summary>The Redis <c>AddDistSync</c> added itself, and its password parameter; removed when another is given.</summary>
    public IReadOnlyList<IResource> OwnedRedis { get; set; } = [];

    /// <summary>Health checks already registered, by key: the nodes' stay registered when the nodes are re-created.</summary>
    public HashSet<string> RegisteredHealthChecks { get; } = new(StringComparer.Ordinal);
}
