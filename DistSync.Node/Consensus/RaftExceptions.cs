using DistSync.Node.Http;

namespace DistSync.Node.Consensus;

/// <summary>
/// The cluster cannot take the request now (no leader, leader unreachable, overloaded). <see cref="UnavailableException.MayHaveBeenApplied"/>
/// is false only when the command certainly was never appended; true once it was appended or handed to a leader that
/// went silent.
/// </summary>
public sealed class RaftUnavailableException(string message, string? leaderId = null, bool mayHaveBeenApplied = false)
    : UnavailableException(message, mayHaveBeenApplied)
{
    public string? LeaderId { get; } = leaderId;

    public override string Title => "Cluster unavailable";

    public override IEnumerable<KeyValuePair<string, object?>> Details => [new("leader_id", LeaderId)];
}
