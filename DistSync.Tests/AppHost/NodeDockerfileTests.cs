using System.Xml.Linq;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.AppHost;

/// <summary>
/// <c>DistSync.Node/Dockerfile</c>, read as text (no container engine needed): what a published node is built from.
/// A project the node references but the build stage does not copy would fail only at <c>azd up</c>.
/// </summary>
public sealed class NodeDockerfileTests
{
    private const string NodeProject = "DistSync.Node/DistSync.Node.csproj";

    private static readonly string Root = AppHostProcess.RepoRoot;

    private static readonly IReadOnlyList<string> Lines =
        [.. File.ReadAllLines(Path.Combine(Root, "DistSync.Node", "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    [Fact]
    public void Dockerfile_BuildsWithTheSdk_AndRunsOnTheAspNetRuntime()
    {
        var stages = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, stages.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", stages[1], StringComparison.Ordinal);
        Assert.Contains("COPY --from=build /app .", Final());
        Assert.Equal("ENTRYPOINT [\"dotnet\", \"DistSync.Node.dll\"]", Final().Last());
    }

    [Fact]
    public void Dockerfile_RestoresFromTheProjectFilesAlone_ThenPublishesTheNode()
    {
        var build = Build();
        var restore = build.IndexOf($"RUN dotnet restore {NodeProject}");
        var publish = build.FindIndex(l => l.StartsWith($"RUN dotnet publish {NodeProject} -c Release --no-restore -o /app", StringComparison.Ordinal));

        Assert.True(restore > 0, "no restore of the node");
        Assert.True(publish > restore, "no publish of the node after its restore");
        var beforeRestore = CopiedSources(build.Take(restore));
        Assert.All(beforeRestore, source => Assert.True(
            source.EndsWith(".csproj", StringComparison.Ordinal) || source.EndsWith(".props", StringComparison.Ordinal) || source is "global.json" or ".editorconfig",
            $"{source} is copied before the restore: any change to it would invalidate the restored layer"));
    }

    [Fact]
    public void Dockerfile_CopiesEveryProjectTheNodeReferences_AndTheSettingsTheBuildReads()
    {
        var build = Build();
        var restore = build.IndexOf($"RUN dotnet restore {NodeProject}");
        var beforeRestore = CopiedSources(build.Take(restore));
        var all = CopiedSources(build);

        foreach (var project in ProjectClosure(NodeProject))
        {
            Assert.Contains(project, beforeRestore);
            Assert.Contains(project[..(project.IndexOf('/', StringComparison.Ordinal) + 1)], all);
        }

        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            Assert.True(File.Exists(Path.Combine(Root, file)), $"{file} is not in the repository");
            Assert.Contains(file, beforeRestore);
        }
    }

    [Fact]
    public void Dockerfile_RunsAsTheImagesNonRootUser_WithItsDataOnAVolumeItOwns()
    {
        var final = Final();
        var user = Assert.Single(final, l => l.StartsWith("USER ", StringComparison.Ordinal));
        var volume = final.IndexOf("VOLUME /data");
        var chown = final.FindIndex(l => l.StartsWith("RUN mkdir /data && chown \"$APP_UID:$APP_UID\" /data", StringComparison.Ordinal));

        Assert.Equal("USER $APP_UID", user);
        Assert.True(chown >= 0 && volume > chown, "/data is not made and given to the app user before it is declared a volume (later changes to a volume path are lost)");
        Assert.True(final.IndexOf(user) > chown, "the chown must run as root, before USER");
        Assert.Contains("ENV DistSync__DataDir=/data", final);
        Assert.Contains("EXPOSE 8080", final);
    }

    [Fact]
    public void DockerIgnore_LeavesOutBuildOutputAndDataFolders()
    {
        var ignored = File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(new HashSet<string>(StringComparer.Ordinal) { ".git", "**/bin", "**/obj", "**/.data", "**/TestResults" }, ignored);
    }

    private static List<string> Build() => [.. Lines.TakeWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal))];

    private static List<string> Final() => [.. Lines.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal))];

    /// <summary>The sources of the build stage's <c>COPY</c> lines (each line's last word is its destination).</summary>
    private static HashSet<string> CopiedSources(IEnumerable<string> lines) =>
        [.. lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.StartsWith("COPY --", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])];

    /// <summary>The project and every project it references, transitively, as paths from the repository root.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!found.Add(next))
            {
                continue;
            }

            var dir = Path.GetDirectoryName(Path.Combine(Root, next))!;
            foreach (var reference in XDocument.Load(Path.Combine(Root, next)).Descendants("ProjectReference"))
            {
                var path = Path.GetFullPath(Path.Combine(dir, reference.Attribute("Include")!.Value.Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(Root, path).Replace('\\', '/'));
            }
        }

        return found;
    }
}
