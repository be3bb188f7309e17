using System.Net;

namespace DistSync.LoadTests.Chaos.Nemesis;

/// <summary>
/// A <see cref="LinkProxy"/> on every directed link of a cluster, and the partitions Jepsen's nemeses make out of them:
/// isolate a node, split into a minority and a majority, a bridge (two sides that one node still joins), or heal.
/// </summary>
public sealed class ProxyMesh : IAsyncDisposable
{
    private readonly List<LinkProxy> _links;

    private ProxyMesh(IReadOnlyList<string> nodes, List<LinkProxy> links)
    {
        Nodes = nodes;
        _links = links;
    }

    public IReadOnlyList<string> Nodes { get; }

    public IReadOnlyList<LinkProxy> Links => _links;

    /// <summary>Proxies for every ordered pair of <paramref name="nodes"/> (name and the port it listens on).</summary>
    public static ProxyMesh Create(IReadOnlyDictionary<string, int> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var links = new List<LinkProxy>();
        foreach (var from in nodes.Keys.Order(StringComparer.Ordinal))
        {
            foreach (var (to, port) in nodes.Where(n => n.Key != from).OrderBy(n => n.Key, StringComparer.Ordinal))
            {
                links.Add(new LinkProxy(from, to, new IPEndPoint(IPAddress.Loopback, port)));
            }
        }

        return new ProxyMesh([.. nodes.Keys.Order(StringComparer.Ordinal)], links);
    }

    /// <summary>The AppHost's settings that send each node's traffic to its peers through the proxies.</summary>
    public IEnumerable<string> AppHostArguments() =>
        _links.Select(l => $"--DistSync:PeerLinks:{l.From}:{l.To}={l.Address.ToString().TrimEnd('/')}");

    public LinkProxy Link(string from, string to) => _links.Single(l => l.From == from && l.To == to);

    /// <summary>Cuts every link between two different sides (both directions); links within a side stay.</summary>
    public void Partition(params IReadOnlyCollection<string>[] sides)
    {
        ArgumentNullException.ThrowIfNull(sides);
        int Side(string node) => Array.FindIndex(sides, s => s.Contains(node));
        foreach (var link in _links)
        {
            var (from, to) = (Side(link.From), Side(link.To));
            if (from != to || from < 0)
            {
                link.Cut();
            }
        }
    }

    public void Isolate(string node) => Partition([node], [.. Nodes.Where(n => n != node)]);

    /// <summary>Two sides that cannot talk, and one node (<paramref name="bridge"/>) that talks to both.</summary>
    public void Bridge(string bridge)
    {
        var others = Nodes.Where(n => n != bridge).ToList();
        var left = others.Take(others.Count / 2).ToHashSet(StringComparer.Ordinal);
        foreach (var link in _links.Where(l => l.From != bridge && l.To != bridge && left.Contains(l.From) != left.Contains(l.To)))
        {
            link.Cut();
        }
    }

    public void SetLatency(TimeSpan latency)
    {
        foreach (var link in _links)
        {
            link.Latency = latency;
        }
    }

    /// <summary>Every link whole again and without added latency.</summary>
    public void Heal()
    {
        foreach (var link in _links)
        {
            link.Heal();
            link.Latency = TimeSpan.Zero;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var link in _links)
        {
            await link.DisposeAsync();
        }
    }
}
