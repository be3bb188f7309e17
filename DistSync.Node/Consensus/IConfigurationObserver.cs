using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary>
/// A replicated state machine that follows the cluster's Raft configuration: the host calls it on the loop for every
/// applied <see cref="EntryType.ConfigChange"/> entry, in log order with the commands, so what it derives (the ring's
/// members, the members' addresses) is the same on every node at every index and goes into its snapshot.
/// </summary>
public interface IConfigurationObserver
{
    void ConfigurationApplied(long index, ConfigChange change, RaftConfiguration after);
}
