namespace DistSync.Hosting;

/// <summary>How the AppHost starts a node's process: as a project of the same solution, or as an executable.</summary>
public abstract record NodeLaunch
{
    /// <summary>The command the node tool installs (<c>dotnet tool install DistSync.Node</c>).</summary>
    public const string ToolCommand = "distsync-node";

    private NodeLaunch()
    {
    }

    /// <summary>
    /// The default in an AppHost that does not build the node itself: <c>dotnet tool run distsync-node</c>, the tool found
    /// through the tool manifest (<c>.config/dotnet-tools.json</c>) in or above the AppHost's folder.
    /// </summary>
    public static NodeLaunch LocalTool(string appHostDirectory) => new Executable("dotnet", ["tool", "run", ToolCommand], appHostDirectory);

    /// <summary>
    /// A project resource (<c>AddProject&lt;TProject&gt;</c>): DCP runs it with <c>dotnet run</c>. In publish mode the node is
    /// a container built from the <c>Dockerfile</c> beside <paramref name="ProjectPath"/>, whose build context is the
    /// folder above the project's (the repository root, where the projects it references live).
    /// </summary>
    public sealed record Project(Func<IDistributedApplicationBuilder, string, IResourceBuilder<ProjectResource>> Add, string ProjectPath) : NodeLaunch;

    /// <summary>
    /// An executable resource (the node tool, or a published node's binary). A manifest cannot deploy an executable, so in
    /// publish mode the node is the container image <see cref="DistSyncOptions.NodeImage"/> instead.
    /// </summary>
    public sealed record Executable(string Command, IReadOnlyList<string> Args, string WorkingDirectory) : NodeLaunch;
}
