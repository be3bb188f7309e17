using System.Reflection;
using DistSync.Node.Hosting;
using DistSync.Raft;
using NetArchTest.Rules;

namespace DistSync.Tests.Architecture;

/// <summary>
/// The node's folders depend one way (docs/architecture.md): each uses only the folders before it in
/// <see cref="Layers"/>, the three features do not use each other, and the Raft core is an assembly that uses
/// nothing of DistSync. These read the compiled IL, so a dependency through a method body counts too.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>The node's folders, first to last; a folder may use any folder before it.</summary>
    public static readonly string[][] Layers =
    [
        ["Http"],
        ["Hosting"],
        ["Security"],
        ["Storage"],
        ["Consensus"],
        ["Membership"],
        ["Locks", "Queue", "Cache"],
        ["ClusterView"],
    ];

    private static readonly Assembly Node = typeof(NodeLog).Assembly;

    public static TheoryData<string> Folders() => [.. Layers.SelectMany(l => l)];

    [Theory]
    [MemberData(nameof(Folders))]
    public void Folder_UsesNoFolderAfterIt_NorAPeer(string folder)
    {
        var layer = Array.FindIndex(Layers, l => l.Contains(folder));
        var forbidden = Layers.Skip(layer).SelectMany(l => l).Where(f => f != folder)
            .Select(f => $"DistSync.Node.{f}")
            .Append("DistSync.Node.NodeApplication") // the composition root uses everything; nothing uses it
            .ToArray();

        var result = Types.InAssembly(Node).That().ResideInNamespace($"DistSync.Node.{folder}")
            .ShouldNot().HaveDependencyOnAny(forbidden).GetResult();

        Assert.True(result.IsSuccessful,
            $"{folder} may only use {string.Join(", ", Layers.Take(layer).SelectMany(l => l).DefaultIfEmpty("nothing"))}; " +
            $"these types use a later folder or a peer: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void EveryNamespaceOfTheNode_IsALayerOrTheRoot()
    {
        var known = Layers.SelectMany(l => l).Select(f => $"DistSync.Node.{f}").Append("DistSync.Node").ToHashSet();
        var unknown = Node.GetTypes().Select(t => t.Namespace).OfType<string>()
            .Where(n => n.StartsWith("DistSync.Node", StringComparison.Ordinal) && !known.Contains(n)).Distinct().ToList();

        Assert.True(unknown.Count == 0, $"namespaces missing from the layer order: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void RaftCore_UsesNothingOfDistSync()
    {
        var core = typeof(RaftNode).Assembly;
        var references = core.GetReferencedAssemblies().Select(a => a.Name).OfType<string>().ToList();

        Assert.DoesNotContain(references, r => r.StartsWith("DistSync", StringComparison.Ordinal) || r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || r.StartsWith("Microsoft.Extensions", StringComparison.Ordinal) || r.StartsWith("StackExchange", StringComparison.Ordinal));
    }
}
