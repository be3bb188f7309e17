using System.Text.Json.Nodes;

namespace DistSync.AppHost.Dashboard.Api;

/// <summary>A node's lock table as fetched, or why it is not available.</summary>
/// <param name="State">The node's JSON as it answered: {locks:{…}, wait_for:{…}}.</param>
public sealed record LocksView(string Node, bool Available, string? Reason, JsonNode? State);
