using System.ComponentModel.DataAnnotations;
using DistSync.Node.Hosting;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace DistSync.Tests.AppHost;

/// <summary>
/// <c>docs/deploy/kubernetes/distsync.yaml</c>, parsed: a StatefulSet whose pods' names are node ids their peers list,
/// a volume per pod, peers reachable before they are ready, and probes that cannot take the whole cluster down.
/// </summary>
public sealed class KubernetesExampleTests
{
    private static readonly IReadOnlyList<YamlMappingNode> Documents = Load();

    private static YamlMappingNode StatefulSet => Kind("StatefulSet").Single();

    private static YamlMappingNode Pod => Map(StatefulSet, "spec", "template", "spec");

    private static YamlMappingNode Container => Assert.Single(Seq(Pod, "containers").Cast<YamlMappingNode>());

    private static Dictionary<string, YamlMappingNode> Env =>
        Seq(Container, "env").Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name"), StringComparer.Ordinal);

    [Fact]
    public void StatefulSet_OfThree_StartsTogether_WithAVolumePerPodAtData()
    {
        Assert.Equal("3", Text(StatefulSet, "spec", "replicas"));
        Assert.Equal("Parallel", Text(StatefulSet, "spec", "podManagementPolicy"));
        var claim = Assert.Single(Seq(StatefulSet, "spec", "volumeClaimTemplates").Cast<YamlMappingNode>());
        var mount = Assert.Single(Seq(Container, "volumeMounts").Cast<YamlMappingNode>());
        Assert.Equal(Text(claim, "metadata", "name"), Text(mount, "name"));
        Assert.Equal("/data", Text(mount, "mountPath"));
        Assert.Equal("ReadWriteOnce", Assert.Single(Seq(claim, "spec", "accessModes")).ToString());
        Assert.Equal("/data", Value("DistSync__DataDir"));
        // The image's user (APP_UID of the .NET images) gets the volume.
        Assert.Equal("1654", Text(Pod, "securityContext", "fsGroup"));
        Assert.Equal("1654", Text(Pod, "securityContext", "runAsUser"));
    }

    [Fact]
    public void PeerService_IsHeadless_AndListsPodsBeforeTheyAreReady()
    {
        var peers = Service(Text(StatefulSet, "spec", "serviceName"));

        Assert.Equal("None", Text(peers, "spec", "clusterIP"));
        Assert.Equal("true", Text(peers, "spec", "publishNotReadyAddresses"));
        AssertSelectsThePods(peers);
        var client = Assert.Single(Kind("Service"), s => s != peers);
        Assert.False(Map(client, "spec").Children.ContainsKey("clusterIP"), "the client service is headless");
        AssertSelectsThePods(client);
    }

    [Fact]
    public void Probes_LivenessIsAlive_ReadinessIsHealth()
    {
        Assert.Equal("/alive", Text(Container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/health", Text(Container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("8080", Text(Assert.Single(Seq(Container, "ports").Cast<YamlMappingNode>()), "containerPort"));
    }

    [Fact]
    public void EveryPod_IsANodeNamedAfterItself_ThatListsEveryOtherPodAsAPeer()
    {
        var name = Text(StatefulSet, "metadata", "name");
        var replicas = int.Parse(Text(StatefulSet, "spec", "replicas"), System.Globalization.CultureInfo.InvariantCulture);
        var headless = Text(StatefulSet, "spec", "serviceName");
        Assert.Equal("metadata.name", Text(Env["DistSync__NodeId"], "valueFrom", "fieldRef", "fieldPath"));
        var peerVariables = Env.Keys.Where(k => k.StartsWith("services__", StringComparison.Ordinal)).ToList();
        Assert.Equal(replicas, peerVariables.Count);

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(peerVariables.Select(k => KeyValuePair.Create(k.Replace("__", ":", StringComparison.Ordinal), (string?)Value(k))))
            .Build();
        for (var ordinal = 0; ordinal < replicas; ordinal++)
        {
            var pod = $"{name}-{ordinal}";
            var options = new NodeOptions { NodeId = pod };
            Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true), $"{pod} is not a valid DistSync__NodeId");
            var expected = Enumerable.Range(0, replicas).Where(o => o != ordinal)
                .ToDictionary(o => $"{name}-{o}", o => new Uri($"http://{name}-{o}.{headless}:8080"), StringComparer.Ordinal);

            Assert.Equal(expected, PeerDirectory.Parse(configuration.GetSection("services"), pod));
        }
    }

    [Fact]
    public void Secrets_ComeFromTheSecret_AndTheClusterStateIsAuto()
    {
        var secret = Kind("Secret").Single();
        var keys = Map(secret, "stringData").Children.Keys.Select(k => k.ToString()).ToHashSet(StringComparer.Ordinal);

        Assert.Equal("Auto", Value("DistSync__ClusterState"));
        foreach (var variable in new[] { "DistSync__ClusterKey", "DistSync__ClusterId", "ConnectionStrings__redis", "DistSync__Auth__Tokens__reader__Secret",
            "DistSync__Auth__Tokens__writer__Secret", "DistSync__Auth__Tokens__admin__Secret" })
        {
            var reference = Map(Env[variable], "valueFrom", "secretKeyRef");
            Assert.Equal(Text(secret, "metadata", "name"), Text(reference, "name"));
            Assert.Contains(Text(reference, "key"), keys);
        }
    }

    private static void AssertSelectsThePods(YamlMappingNode service)
    {
        var labels = Map(StatefulSet, "spec", "template", "metadata", "labels").Children;
        Assert.All(Map(service, "spec", "selector").Children, s => Assert.Equal(labels[s.Key], s.Value));
        Assert.Equal("http", Text(Assert.Single(Seq(service, "spec", "ports").Cast<YamlMappingNode>()), "targetPort"));
    }

    private static string Value(string variable) => Text(Env[variable], "value");

    private static YamlMappingNode Service(string name) => Assert.Single(Kind("Service"), s => Text(s, "metadata", "name") == name);

    private static IEnumerable<YamlMappingNode> Kind(string kind) => Documents.Where(d => Text(d, "kind") == kind);

    private static YamlMappingNode Map(YamlMappingNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => Assert.IsType<YamlMappingNode>(n.Children[key]));

    private static YamlSequenceNode Seq(YamlMappingNode node, params string[] path) =>
        Assert.IsType<YamlSequenceNode>(Map(node, path[..^1]).Children[path[^1]]);

    private static string Text(YamlMappingNode node, params string[] path) =>
        Assert.IsType<YamlScalarNode>(Map(node, path[..^1]).Children[path[^1]]).Value!;

    private static List<YamlMappingNode> Load()
    {
        using var reader = new StreamReader(Path.Combine(AppHostProcess.RepoRoot, "docs", "deploy", "kubernetes", "distsync.yaml"));
        var stream = new YamlStream();
        stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }
}
