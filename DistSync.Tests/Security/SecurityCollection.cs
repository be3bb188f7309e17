namespace DistSync.Tests.Security;

/// <summary>The security tests share one cluster, one class at a time, and never beside another real cluster.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SecurityCollection : ICollectionFixture<SecurityCluster>
{
    public const string Name = "security cluster";
}
