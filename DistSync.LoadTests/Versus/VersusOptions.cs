using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// What <c>vs</c> was asked to measure; <see cref="Urls"/> is null when it starts DistSync itself, on each of
/// <see cref="RedisSetups"/> in turn.
/// </summary>
public sealed record VersusOptions(
    IReadOnlyList<string> Systems,
    IReadOnlyList<string> Workloads,
    IReadOnlyList<int> Levels,
    TimeSpan Duration,
    TimeSpan Warmup,
    TimeSpan SystemWarmup,
    IReadOnlyList<string> Drivers,
    string? Report,
    IReadOnlyList<Uri>? Urls,
    IReadOnlyList<string> RedisSetups)
{
    /// <summary>Most workers one level may have: each is a task with its own requests in flight.</summary>
    public const int MaxWorkers = 500;

    public static readonly string[] Names = ["systems", "workloads", "levels", "seconds", "warmup", "system-warmup", Cluster.Drivers.Option, ReportOutput.Option, "urls", DistSyncRedis.Option];

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

        var workloads = Words(options, "workloads", VersusWorkloads.All);
        var setups = RedisSetupsOf(options, systems, urls, workloads);
        return new VersusOptions(
            systems,
            workloads,
            levels,
            TimeSpan.FromSeconds(options.Int("seconds", 10)),
            TimeSpan.FromSeconds(options.NonNegativeInt("warmup", 3)),
            TimeSpan.FromSeconds(options.NonNegativeInt("system-warmup", 5)),
            Words(options, Cluster.Drivers.Option, Cluster.Drivers.All),
            options.Get(ReportOutput.Option),
            urls,
            setups);
    }

    /// <summary>
    /// <c>--distsync-redis</c>: the Redis setups DistSync is started on, one after the other (only <c>single</c> when
    /// absent, as every run before it). A setup after the first measures only the workloads that use Redis, so there
    /// must be one.
    /// </summary>
    private static string[] RedisSetupsOf(CommandLine options, IReadOnlyList<string> systems, IReadOnlyList<Uri>? urls, IReadOnlyList<string> workloads)
    {
        if (options.Get(DistSyncRedis.Option) is null)
        {
            return [DistSyncRedis.Single];
        }

        if (!systems.Contains(VersusSystems.DistSync))
        {
            throw new ArgumentException($"--{DistSyncRedis.Option} sets up DistSync's Redis, but --systems leaves distsync out.");
        }

        if (urls is not null)
        {
            throw new ArgumentException($"--{DistSyncRedis.Option} starts DistSync on each Redis setup; --urls names a running cluster instead.");
        }

        var setups = Words(options, DistSyncRedis.Option, DistSyncRedis.All);
        return setups.Length > 1 && !workloads.Any(DistSyncRedis.Uses)
            ? throw new ArgumentException($"--{DistSyncRedis.Option} names {setups.Length} setups, but no chosen workload uses Redis (queue, cache).")
            : setups;
    }

    /// <summary>The peers that some chosen workload is measured against, in <see cref="VersusSystems.All"/>'s order.</summary>
    public IReadOnlyList<string> Peers =>
        [.. VersusSystems.All.Where(s => s != VersusSystems.DistSync && Systems.Contains(s) && Workloads.Any(w => VersusWorkloads.Peer(w) == s))];

    /// <summary>
    /// The workloads measured on a Redis setup: all of them on the first; on each later one only those whose
    /// operations touch Redis (lock workloads go through Raft alone, so one setup's figures stand for all).
    /// </summary>
    public IReadOnlyList<string> WorkloadsOn(string setup) =>
        RedisSetups.Count > 0 && setup == RedisSetups[0] ? Workloads : [.. Workloads.Where(DistSyncRedis.Uses)];

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
