namespace DistSync.Node.Consensus;

/// <summary>The cluster cannot take the request now (no leader, leader unreachable, overloaded): retry later.</summary>
public sealed class RaftUnavailableException(string message, string? leaderId = null) : Exception(message)
{
    public string? LeaderId { get; } = leaderId;
}
