using DistSync.Client;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Measurement;

/// <summary>What every level of every benchmark shares: the nodes, measured time, warm-up and an operation cap.</summary>
public sealed record BenchSettings(IReadOnlyList<Uri> Urls, TimeSpan Duration, TimeSpan Warmup, long MaxOps)
{
    /// <summary>Where measured operations also go when the run writes a report (<c>--report DIR</c>); null otherwise.</summary>
    public RunRecorder? Recorder { get; init; }

    /// <summary>
    /// The <see cref="Drivers"/> a benchmark with <c>--driver</c> runs under, shown beside each of its levels; null for a
    /// benchmark that only sends raw requests.
    /// </summary>
    public string? Driver { get; init; }

    /// <summary>These settings for a level that sends raw requests whatever the driver (the client has no call for them).</summary>
    public BenchSettings RawHttp => Driver is null ? this : this with { Driver = Drivers.Http };

    /// <summary>Checks that a benchmark got the client its driver needs: one for <see cref="Drivers.Client"/>, none otherwise.</summary>
    public void RequireClientFor(DistSyncClient? app)
    {
        if ((app is not null) != (Driver == Drivers.Client))
        {
            throw new ArgumentException($"The {Driver ?? "raw"} driver {(app is null ? "needs" : "takes no")} DistSyncClient.", nameof(app));
        }
    }

    public static BenchSettings From(CommandLine options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new BenchSettings(
            options.Urls(),
            TimeSpan.FromSeconds(options.Int("seconds", 10)),
            TimeSpan.FromSeconds(options.NonNegativeInt("warmup", 3)),
            options.Int("max-ops", 2_000_000))
        {
            Recorder = options.Get(ReportOutput.Option) is null ? null : new RunRecorder(),
        };
    }

    public string Describe() =>
        $"{Duration.TotalSeconds:F0} s per level after {Warmup.TotalSeconds:F0} s warm-up (not recorded), at most {MaxOps} operations per level";
}
