using DistSync.Node.Cache;
using DistSync.Node.Membership;

namespace DistSync.Tests.Cache.Simulation;

/// <summary>
/// A node's view of the ring: it learns each committed epoch at its own moment. With <see cref="SimOptions.RingMovesMidRequest"/>
/// an epoch the node has received lands at a seeded moment between two reads of the ring (as when Raft applies it
/// on another thread while a request runs): a request that read the ring twice would see two epochs.
/// </summary>
internal sealed class SimRing(CacheSimulation sim, SimNode node, long epoch, IReadOnlyList<string> members) : ICacheRing
{
    private readonly Queue<(long Epoch, IReadOnlyList<string> Members)> _received = new();
    private ClusterMembership _current = new(epoch, members);

    public ClusterMembership Current
    {
        get
        {
            MaybeLand();
            return _current;
        }
    }

    /// <summary>The node received a committed epoch: applied at once, or (mid-request mode) at the next read that the dice pick.</summary>
    public void Receive(long epoch, IReadOnlyList<string> members)
    {
        if (sim.Options.RingMovesMidRequest)
        {
            _received.Enqueue((epoch, members));
        }
        else
        {
            Land(epoch, members, onRead: false);
        }
    }

    /// <summary>Applies every received epoch that no read has landed yet.</summary>
    public void Settle()
    {
        while (_received.TryDequeue(out var next))
        {
            Land(next.Epoch, next.Members, onRead: false);
        }
    }

    private void MaybeLand()
    {
        if (_received.Count > 0 && sim.Random.Next(2) == 0)
        {
            var next = _received.Dequeue();
            Land(next.Epoch, next.Members, onRead: true);
        }
    }

    private void Land(long epoch, IReadOnlyList<string> members, bool onRead)
    {
        if (epoch > _current.Epoch)
        {
            _current = new ClusterMembership(epoch, members);
            sim.RingLanded(node, onRead);
        }
    }
}
