namespace DistSync.Hosting;

/// <summary>Marks a resource as a DistSync node, so the AppHost's services find the nodes among the resources.</summary>
public sealed record DistSyncNodeAnnotation(string NodeId) : IResourceAnnotation;
