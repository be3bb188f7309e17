namespace DistSync.Node.Locks;

/// <summary>A request acting in session <paramref name="SessionId"/>, sent with the token named <paramref name="Owner"/>; the table checks that it owns it.</summary>
public sealed record SessionClaim(long SessionId, string Owner);
