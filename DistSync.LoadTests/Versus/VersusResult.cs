using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// One measured level: a workload at a number of workers, on one system through one driver; a DistSync level also names
/// the Redis setup its cluster ran on (one of <see cref="DistSyncRedis.All"/>; null for a peer).
/// </summary>
public sealed record VersusResult(string Workload, int Workers, string System, string Driver, LevelResult Level, string? RedisSetup = null);
