namespace DistSync.Raft;

/// <summary>
/// A transport's word on a snapshot it streamed to <paramref name="Peer"/>: every chunk of the snapshot at
/// <paramref name="Index"/> was written to the peer's stream (<paramref name="Delivered"/>), or the stream broke first.
/// </summary>
public readonly record struct SnapshotReport(string Peer, long Index, bool Delivered);
