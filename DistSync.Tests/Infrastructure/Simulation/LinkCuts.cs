namespace DistSync.Tests.Infrastructure.Simulation;

/// <summary>
/// Which links between simulated nodes are cut, one direction at a time (a one-way cut is a link that drops only what
/// one side sends). A simulation's network asks <see cref="IsCut"/> before it delivers; nothing here draws randomness.
/// </summary>
internal sealed class LinkCuts
{
    private readonly HashSet<(string From, string To)> _cut = [];

    public bool IsCut(string from, string to) => _cut.Contains((from, to));

    public void Cut(string from, string to) => _cut.Add((from, to));

    /// <summary>Cuts <paramref name="node"/> off from every other node, both ways.</summary>
    public void Isolate(string node, IEnumerable<string> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var other in nodes)
        {
            if (other != node)
            {
                Cut(node, other);
                Cut(other, node);
            }
        }
    }

    /// <summary>Restores every link to and from <paramref name="node"/>.</summary>
    public void Rejoin(string node) => _cut.RemoveWhere(link => link.From == node || link.To == node);

    public void HealAll() => _cut.Clear();
}
