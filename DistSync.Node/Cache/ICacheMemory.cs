namespace DistSync.Node.Cache;

/// <summary>
/// The cache's memory: Redis, one hash per key holding the value, its version, the exclusive holder's fence token and
/// the epoch and node of the key's home. Home operations carry the home's epoch and are refused once a newer home has
/// claimed the key; holder writes carry the fence and are refused once the home has handed the key on.
/// </summary>
public interface ICacheMemory
{
    /// <summary>The key's value as its home reads it; <paramref name="newFence"/> hands out a new token (the old holder's writes stop).</summary>
    Task<MemoryRead> ReadAsync(string key, long epoch, string home, bool newFence, long nowUnixMs);

    /// <summary>A write by the home for a requester: next version (past <paramref name="minVersion"/>) and a new fence.</summary>
    Task<MemoryWrite> WriteAsync(string key, long epoch, string home, bool hasValue, string? value, long expiresAtUnixMs, long minVersion, long nowUnixMs);

    /// <summary>A write by the exclusive holder (write-through or a write-back): applied only under its fence and past the stored version.</summary>
    Task<HolderWriteResult> HolderWriteAsync(string key, long fence, long version, bool hasValue, string? value, long expiresAtUnixMs, long nowUnixMs);
}

/// <summary><see cref="PreviousEpoch"/> and <see cref="PreviousHome"/> are the claim before this call (-1 and "" when none).</summary>
public sealed record MemoryRead(bool Stale, long StoredEpoch, long PreviousEpoch, string PreviousHome, string? Value, long Version, long Fence, long ExpiresAtUnixMs);

public sealed record MemoryWrite(bool Stale, long StoredEpoch, long PreviousEpoch, string PreviousHome, long Version, long Fence);

public sealed record HolderWriteResult(bool Applied, long StoredFence, long StoredVersion);
