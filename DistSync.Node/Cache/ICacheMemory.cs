namespace DistSync.Node.Cache;

/// <summary>
/// The cache's memory: Redis, one hash per key holding the value, its version, the exclusive holder's fence token and
/// the epoch and node of the key's home. Home operations carry the home's epoch and are refused once a newer home has
/// claimed the key; holder writes carry the fence and are refused once the home has handed the key on.
/// </summary>
public interface ICacheMemory
{
    /// <summary>
    /// The key's value as its home reads it; <paramref name="newFence"/> hands out a new token (the old holder's
    /// writes stop); <paramref name="takeoverDone"/>: this home has waited out the previous home's leases.
    /// </summary>
    Task<MemoryRead> ReadAsync(string key, long epoch, string home, bool newFence, long nowUnixMs, bool takeoverDone = false);

    /// <summary>A write by the home for a requester: next version (past <paramref name="minVersion"/>) and a new fence.</summary>
    Task<MemoryWrite> WriteAsync(string key, long epoch, string home, bool hasValue, string? value, long expiresAtUnixMs, long minVersion, long nowUnixMs);

    /// <summary>A write by the exclusive holder (write-through or a write-back): applied only under its fence and past the stored version.</summary>
    Task<HolderWriteResult> HolderWriteAsync(string key, long fence, long version, bool hasValue, string? value, long expiresAtUnixMs, long nowUnixMs);
}

/// <summary><see cref="Takeover"/>: another home may have granted leases still running; wait one lease, then read with takeoverDone.</summary>
public sealed record MemoryRead(bool Stale, long StoredEpoch, bool Takeover, string? Value, long Version, long Fence, long ExpiresAtUnixMs);

/// <summary><see cref="Takeover"/>: nothing was written, a takeover is due first.</summary>
public sealed record MemoryWrite(bool Stale, long StoredEpoch, bool Takeover, long Version, long Fence);

public sealed record HolderWriteResult(bool Applied, long StoredFence, long StoredVersion);
