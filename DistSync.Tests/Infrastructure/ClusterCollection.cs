namespace DistSync.Tests.Infrastructure;

/// <summary>
/// Tests that start real processes run one class at a time: the machine has two cores, and timing-
/// sensitive clusters must not starve each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "real processes";
}
