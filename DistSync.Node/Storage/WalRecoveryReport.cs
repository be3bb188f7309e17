namespace DistSync.Node.Storage;

/// <summary>
/// Facts about what <see cref="RaftStorage.Load"/> found and repaired. Storage does not log; the host logs these.
/// </summary>
/// <param name="SegmentsRead">WAL segment files replayed.</param>
/// <param name="TruncatedBytes">Bytes of a torn or corrupt tail cut from the last segment (0 when the tail was clean).</param>
/// <param name="TruncatedFile">The segment that was truncated, if any.</param>
/// <param name="TruncatedAtOffset">The offset the segment was cut at, or -1.</param>
/// <param name="TornSegmentsRemoved">Last segments removed because their header was never fully written.</param>
/// <param name="TempFilesRemoved">Leftover snapshot temp files (a crash during SaveSnapshot) removed.</param>
/// <param name="SnapshotAheadOfLog">The newest snapshot was saved but its WAL marker was not (a crash in between); it was applied on load.</param>
/// <param name="Notes">One readable sentence per repair, for the log.</param>
public sealed record WalRecoveryReport(
    int SegmentsRead,
    long TruncatedBytes,
    string? TruncatedFile,
    long TruncatedAtOffset,
    int TornSegmentsRemoved,
    int TempFilesRemoved,
    bool SnapshotAheadOfLog,
    IReadOnlyList<string> Notes)
{
    /// <summary>True when load changed anything on disk.</summary>
    public bool Repaired => TruncatedBytes > 0 || TornSegmentsRemoved > 0 || TempFilesRemoved > 0;
}
