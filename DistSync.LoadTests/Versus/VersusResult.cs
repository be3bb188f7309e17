using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Versus;

/// <summary>One measured level: a workload at a number of workers, on one system through one driver.</summary>
public sealed record VersusResult(string Workload, int Workers, string System, string Driver, LevelResult Level);
