using System.Reflection;
using DistSync.LoadTests.Cli;
using NetArchTest.Rules;

namespace DistSync.Tests.LoadTests;

/// <summary>
/// The load-test tool's folders depend one way (docs/benchmarks.md): Cli, then Cluster, then Reports, then Measurement
/// (the closed-loop runner the commands share), then the command folders, which do not use each other; DistSync.Client
/// is used only where the tool talks to nodes as an app does. These read the compiled IL, so a dependency through a
/// method body counts.
/// </summary>
public sealed class ToolLayeringTests
{
    /// <summary>The tool's folders, first to last; a folder may use any folder before it.</summary>
    public static readonly string[][] Layers =
    [
        ["Cli"],
        ["Cluster"],
        ["Reports"],
        ["Measurement"],
        ["Benchmarks", "Scenario", "Chaos", "Versus"],
    ];

    private static readonly Assembly Tool = typeof(Invocation).Assembly;

    public static TheoryData<string> Folders() => [.. Layers.SelectMany(l => l)];

    [Theory]
    [MemberData(nameof(Folders))]
    public void Folder_UsesNoFolderAfterIt_NorAPeer(string folder)
    {
        var layer = Array.FindIndex(Layers, l => l.Contains(folder));
        var forbidden = Layers.Skip(layer).SelectMany(l => l).Where(f => f != folder).Select(f => $"DistSync.LoadTests.{f}").ToArray();

        var result = Types.InAssembly(Tool).That().ResideInNamespace($"DistSync.LoadTests.{folder}")
            .ShouldNot().HaveDependencyOnAny(forbidden).GetResult();

        Assert.True(result.IsSuccessful,
            $"{folder} may only use {string.Join(", ", Layers.Take(layer).SelectMany(l => l).DefaultIfEmpty("nothing"))}; " +
            $"these types use a later folder or a peer: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    /// <summary>
    /// Cluster makes the tool's DistSync clients and names their outcomes; the benchmarks, the scenario and the fault
    /// harness drive them. Cli and Reports talk to no node.
    /// </summary>
    [Theory]
    [InlineData("Cli")]
    [InlineData("Reports")]
    public void Folder_DoesNotUseTheClientLibrary(string folder)
    {
        var result = Types.InAssembly(Tool).That().ResideInNamespace($"DistSync.LoadTests.{folder}")
            .ShouldNot().HaveDependencyOn("DistSync.Client").GetResult();

        Assert.True(result.IsSuccessful, $"{folder} uses DistSync.Client: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void EveryNamespaceOfTheTool_IsInALayer()
    {
        var known = Layers.SelectMany(l => l).Select(f => $"DistSync.LoadTests.{f}").ToList();
        var unknown = Tool.GetTypes().Select(t => t.Namespace).OfType<string>()
            .Where(n => n.StartsWith("DistSync.LoadTests", StringComparison.Ordinal) && !known.Exists(k => n == k || n.StartsWith(k + ".", StringComparison.Ordinal)))
            .Distinct().ToList();

        Assert.True(unknown.Count == 0, $"namespaces missing from the layer order: {string.Join(", ", unknown)}");
    }
}
