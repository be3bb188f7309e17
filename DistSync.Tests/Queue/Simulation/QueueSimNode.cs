using DistSync.Node.Membership;
using DistSync.Node.Queue;

namespace DistSync.Tests.Queue.Simulation;

/// <summary>
/// One simulated node and the real queue objects of its current incarnation: its ring (a real membership state machine
/// it applies committed epochs to), its owner, its view of the partitions it owns, its redelivery scheduler and the
/// service its clients call. A crash ends the incarnation (its store and peer handles refuse from then on); a restart
/// builds everything anew, as a new process would.
/// </summary>
internal sealed class QueueSimNode(string id)
{
    public string Id { get; } = id;

    public bool Alive { get; set; }

    public int Incarnation { get; set; }

    /// <summary>Cut off from every other node and from Raft (so it applies no new epoch), yet it still reaches the store and its own clients.</summary>
    public bool Isolated { get; set; }

    /// <summary>When the current crash, isolation or ring lag ends (simulated unix ms).</summary>
    public long FaultUntil { get; set; }

    /// <summary>Since when the node is down or isolated (the ring drops it after a grace).</summary>
    public long UnreachableSince { get; set; }

    /// <summary>Since when the node is up and reachable (the ring takes it back after a steady spell).</summary>
    public long SteadySince { get; set; }

    /// <summary>Until then the ring leaves this node out though it is up (a flap of the membership monitor).</summary>
    public long RingOutUntil { get; set; }

    /// <summary>Until then this node applies no new epoch though it could hear Raft: a slow apply loop, a stale ring view.</summary>
    public long RingLagUntil { get; set; }

    /// <summary>When the node applies the next committed epoch it has not applied yet.</summary>
    public long NextApplyAt { get; set; }

    public MembershipStateMachine? Membership { get; set; }

    public TopicRegistry? Topics { get; set; }

    public OwnedPartitions? Owned { get; set; }

    public QueueOwner? Owner { get; set; }

    public QueueService? Service { get; set; }

    public QueueNotifications? Notifications { get; set; }

    /// <summary>Stops this incarnation's redelivery scheduler.</summary>
    public CancellationTokenSource? Stopping { get; set; }

    public long AppliedEpoch => Membership?.Current.Epoch ?? -1;
}
