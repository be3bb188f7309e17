using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistSync.Client;

/// <summary>
/// The client's traces and metrics, both named <see cref="Name"/>. Each call is a client span; the HTTP request under it
/// carries the W3C trace context to the node, so the dashboard shows app → node → Raft as one trace.
/// </summary>
public static class DistSyncTelemetry
{
    public const string Name = "DistSync.Client";

    internal static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("distsync.client.operation.duration", "s", "How long each client operation took, retries included.");
    private static readonly Counter<long> Retries = Meter.CreateCounter<long>("distsync.client.retries", "{retry}", "Attempts sent again to the same or another node.");

    internal static Activity? Start(string operation, string? target = null)
    {
        var activity = Source.StartActivity($"distsync {operation}", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("distsync.operation", operation);
            if (target is not null)
            {
                activity.SetTag("distsync.target", target);
            }
        }

        return activity;
    }

    internal static void Record(string operation, long started, string outcome) =>
        Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("distsync.operation", operation), new("distsync.outcome", outcome));

    internal static void Retried(string operation, string reason) =>
        Retries.Add(1, new("distsync.operation", operation), new("distsync.reason", reason));
}
