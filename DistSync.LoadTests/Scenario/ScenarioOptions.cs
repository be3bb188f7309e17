using System.Globalization;
using DistSync.LoadTests.Cli;

namespace DistSync.LoadTests.Scenario;

/// <summary>A scenario's shape: how many users, how fast they arrive, how long they think, for how long, doing what.</summary>
public sealed record ScenarioOptions(int Users, double SpawnRate, ThinkTime Think, TimeSpan Duration, TaskMix Mix, int Resources, int Keys, int LockWaitMs)
{
    /// <summary>Longest run accepted (a day): a typo in --minutes should not run for a month.</summary>
    public static readonly TimeSpan LongestRun = TimeSpan.FromDays(1);

    public static readonly string[] OptionNames = ["users", "spawn-rate", "wait", "minutes", "seconds", "mix", "resources", "keys", "lock-wait-ms"];

    public static ScenarioOptions From(CommandLine options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Get("minutes") is not null && options.Get("seconds") is not null)
        {
            throw new ArgumentException("give --minutes or --seconds, not both.");
        }

        var duration = options.Get("seconds") is not null
            ? TimeSpan.FromSeconds(options.Int("seconds", 60))
            : TimeSpan.FromMinutes(options.Int("minutes", 1));
        if (duration > LongestRun)
        {
            throw new ArgumentException($"a scenario runs at most {LongestRun.TotalHours:F0} hours.");
        }

        var spawnText = options.Get("spawn-rate") ?? "10";
        if (!double.TryParse(spawnText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var spawnRate) || spawnRate <= 0 || spawnRate > 10_000)
        {
            throw new ArgumentException($"--spawn-rate must be users per second, more than 0 and at most 10000, not '{spawnText}'.");
        }

        var users = options.Int("users", 50);
        if (options.NonNegativeInt("lock-wait-ms", 0) > 60_000)
        {
            throw new ArgumentException("--lock-wait-ms must be at most 60000 (a minute).");
        }

        return users <= 10_000
            ? new ScenarioOptions(
                users,
                spawnRate,
                ThinkTime.Parse(options.Get("wait") ?? "1-3s"),
                duration,
                TaskMix.Parse(options.Get("mix") ?? TaskMix.Default),
                options.Int("resources", 10),
                options.Int("keys", 200),
                options.NonNegativeInt("lock-wait-ms", 0))
            : throw new ArgumentException($"--users must be at most 10000, not {users}.");
    }

    /// <summary>The settings as the report lists them.</summary>
    public IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["users"] = Users.ToString(CultureInfo.InvariantCulture),
        ["spawn rate"] = $"{Spawn(SpawnRate)} users/s",
        ["think time"] = Think.ToString(),
        ["duration"] = $"{Duration.TotalSeconds:F0} s",
        ["mix"] = Mix.ToString(),
        ["lock resources"] = $"{Resources} (exclusive, wait_ms {LockWaitMs}, held by the user's client session)",
        ["cache keys"] = Keys.ToString(CultureInfo.InvariantCulture),
    };

    private static string Spawn(double rate) => rate.ToString("0.###", CultureInfo.InvariantCulture);
}
