namespace DistSync.Node.Storage;

/// <summary>A snapshot marker record: the snapshot's point and whether the log after it was kept.</summary>
internal readonly record struct SnapshotMark(long Index, long Term, bool RetainLog);
