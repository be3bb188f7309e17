using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Versus;

/// <summary>What <c>vs</c> was asked to measure; <see cref="Urls"/> is null when it starts DistSync itself.</summary>
public sealed record VersusOptions(
    IReadOnlyList<string> Systems,
    IReadOnlyList<string> Workloads,
    IReadOnlyList<int> Levels,
    TimeSpan Duration,
    TimeSpan Warmup,
    IReadOnlyList<string> Drivers,
    string? Report,
    IReadOnlyList<Uri>? Urls)
{
    /// <summary>Most workers one level may have: each is a task with its own requests in flight.</summary>
    public const int MaxWorkers = 500;

    public static readonly string[] Names = ["systems", "workloads", "levels", "seconds", "warmup", Cluster.Drivers.Option, ReportOutput.Option, "urls"];

    public static VersusOptions From(CommandLine options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var systems = Words(options, "systems", VersusSystems.All);
        var levels = options.IntList("levels", [1, 10, 50]);
        if (levels.Max() > MaxWorkers)
        {
            throw new ArgumentException($"--levels may name at most {MaxWorkers} workers, not {levels.Max()}.");
        }

        var urls = options.Get("urls") is null ? null : options.Urls();
        if (urls is not null && !systems.Contains(VersusSystems.DistSync))
        {
            throw new ArgumentException("--urls names a DistSync cluster, but --systems leaves distsync out.");
        }

        return new VersusOptions(
            systems,
            Words(options, "workloads", VersusWorkloads.All),
            levels,
            TimeSpan.FromSeconds(options.Int("seconds", 10)),
            TimeSpan.FromSeconds(options.NonNegativeInt("warmup", 3)),
            Words(options, Cluster.Drivers.Option, Cluster.Drivers.All),
            options.Get(ReportOutput.Option),
            urls);
    }

    /// <summary>The peers that some chosen workload is measured against, in <see cref="VersusSystems.All"/>'s order.</summary>
    public IReadOnlyList<string> Peers =>
        [.. VersusSystems.All.Where(s => s != VersusSystems.DistSync && Systems.Contains(s) && Workloads.Any(w => VersusWorkloads.Peer(w) == s))];

    /// <summary>A comma-separated list of words from <paramref name="allowed"/>, each once; all of them when the option is absent.</summary>
    private static string[] Words(CommandLine options, string name, string[] allowed)
    {
        if (options.Get(name) is not { } text)
        {
            return allowed;
        }

        var words = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var expected = $"--{name} takes a comma-separated list of {string.Join(", ", allowed)}";
        if (words.Length == 0)
        {
            throw new ArgumentException($"{expected}, not '{text}'.");
        }

        if (words.FirstOrDefault(w => !allowed.Contains(w, StringComparer.Ordinal)) is { } unknown)
        {
            throw new ArgumentException($"{expected}, not '{unknown}'.");
        }

        return words.Distinct(StringComparer.Ordinal).Count() == words.Length
            ? words
            : throw new ArgumentException($"--{name} names a value twice: '{text}'.");
    }
}
