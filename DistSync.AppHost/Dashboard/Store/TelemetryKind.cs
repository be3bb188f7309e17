namespace DistSync.AppHost.Dashboard.Store;

/// <summary>Which part of the store changed.</summary>
public enum TelemetryKind
{
    Traces,
    Logs,
    Metrics,
}
