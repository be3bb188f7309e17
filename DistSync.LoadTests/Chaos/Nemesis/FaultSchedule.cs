using System.Globalization;

namespace DistSync.LoadTests.Chaos.Nemesis;

/// <summary>
/// One fault of a schedule: which nemesis (<see cref="Nemeses"/>), how it strikes (<see cref="Variant"/>: which nodes,
/// what latency), when it starts and how long it lasts, both from the start of the run. Whom "the leader" means is
/// decided when the fault starts.
/// </summary>
public sealed record Fault(string Nemesis, string Variant, TimeSpan Start, TimeSpan Duration)
{
    public TimeSpan End => Start + Duration;

    /// <summary>How the report and the progress line name it: "kill leader", "partition split".</summary>
    public string Label => $"{Nemesis} {Variant}";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Start.TotalSeconds,6:F1}s +{Duration.TotalSeconds:F1}s  {Label}");
}

/// <summary>
/// The Redis the cluster under test runs on (<c>chaos --redis</c>): one <c>redis-server</c>, or the AppHost's Redis
/// Cluster of three primaries and a replica of each. It decides what the <c>redis</c> nemesis does.
/// </summary>
public enum RedisTopology
{
    Single,
    Cluster,
}

/// <summary>The nemeses and the ways each strikes.</summary>
public static class Nemeses
{
    public const string Kill = "kill";
    public const string Pause = "pause";
    public const string Partition = "partition";
    public const string Latency = "latency";
    public const string Redis = "redis";
    public const string Clock = "clock";

    public static readonly IReadOnlyList<string> All = [Kill, Pause, Partition, Latency, Redis, Clock];

    /// <summary>
    /// kill: SIGKILL one node, the leader, or a majority one after the other (the AppHost restarts each); pause: SIGSTOP
    /// then SIGCONT, longer than an election timeout; partition: isolate the leader, split one node from two, a bridge,
    /// or flapping (a node cut and healed every second); latency: every peer link delayed; redis: SIGKILL Redis (the
    /// AppHost restarts it) or SIGSTOP it for the fault's length (every Redis call times out meanwhile); clock: one node's
    /// wall clock (or the leader's) stepped 10 s back or ahead at random moments, every 1 to 3 s, while the fault lasts, or
    /// every node's wall clock drifting apart at 1 % (a second gained or lost in 100), then all set right.
    /// On a Redis Cluster, redis means the cluster's faults instead (<see cref="RedisClusterFaults"/>): a primary killed
    /// (its replica takes over), a primary paused past the node timeout, or a primary's replication link cut.
    /// </summary>
    public static IReadOnlyList<string> Variants(string nemesis, RedisTopology redis = RedisTopology.Single) => nemesis switch
    {
        Kill => ["one", "leader", "majority"],
        Pause => ["one", "leader"],
        Partition => ["isolate-leader", "split", "bridge", "flapping"],
        Latency => ["100ms", "300ms"],
        Redis when redis == RedisTopology.Cluster => [RedisClusterFaults.KillPrimary, RedisClusterFaults.PausePrimary, RedisClusterFaults.PartitionPrimary],
        Redis => ["restart", "pause"],
        Clock => ["step", "step-leader", "drift"],
        _ => throw new ArgumentException($"no nemesis '{nemesis}': there are {string.Join(", ", All)}."),
    };
}

/// <summary>
/// A seeded run of faults: quiet spells and faults in turn, the fault and its variant drawn from the nemeses asked
/// for, so a seed names a schedule and a failure can be run again exactly. The run ends quiet, so every fault has
/// healed before the final reads.
/// </summary>
public static class FaultSchedule
{
    /// <summary>A fault lasts long enough for elections to happen inside it, and stops before the run's last quiet spell.</summary>
    private static readonly TimeSpan MinFault = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan MaxFault = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MinQuiet = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxQuiet = TimeSpan.FromSeconds(6);

    public static IReadOnlyList<Fault> Generate(int seed, TimeSpan length, IReadOnlyList<string> nemeses, RedisTopology redis = RedisTopology.Single)
    {
        ArgumentNullException.ThrowIfNull(nemeses);
        if (nemeses.Count == 0)
        {
            return [];
        }

        foreach (var nemesis in nemeses)
        {
            _ = Nemeses.Variants(nemesis, redis); // refuses an unknown name before anything runs
        }

        var random = new Random(seed);
        var faults = new List<Fault>();
        var at = Between(random, MinQuiet, MaxQuiet);
        // Each nemesis's variants in a shuffled cycle: every variant comes up before any comes up twice.
        var cycles = nemeses.Distinct().ToDictionary(n => n, n => new Queue<string>());
        var order = new Queue<string>();
        while (true)
        {
            var duration = Between(random, MinFault, MaxFault);
            if (at + duration + MinQuiet > length)
            {
                return faults;
            }

            if (order.Count == 0)
            {
                foreach (var n in Shuffled(random, cycles.Keys))
                {
                    order.Enqueue(n);
                }
            }

            var nemesis = order.Dequeue();
            var variants = cycles[nemesis];
            if (variants.Count == 0)
            {
                foreach (var v in Shuffled(random, Nemeses.Variants(nemesis, redis)))
                {
                    variants.Enqueue(v);
                }
            }

            faults.Add(new Fault(nemesis, variants.Dequeue(), at, duration));
            at += duration + Between(random, MinQuiet, MaxQuiet);
        }
    }

    /// <summary>The nemeses named by <c>--nemesis kill,pause,...</c> (<c>all</c> for every one).</summary>
    public static IReadOnlyList<string> Parse(string? text)
    {
        if (text is null or "all")
        {
            return Nemeses.All;
        }

        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0 && text.Trim() != "none")
        {
            throw new ArgumentException("--nemesis takes a comma-separated list (kill,pause,partition,latency,redis,clock), all, or none.");
        }

        foreach (var name in names.Where(n => n != "none" && !Nemeses.All.Contains(n)))
        {
            throw new ArgumentException($"--nemesis: no nemesis '{name}'; there are {string.Join(", ", Nemeses.All)}.");
        }

        return [.. names.Where(n => n != "none").Distinct()];
    }

    private static TimeSpan Between(Random random, TimeSpan min, TimeSpan max) =>
        TimeSpan.FromMilliseconds(Math.Round(min.TotalMilliseconds + (random.NextDouble() * (max - min).TotalMilliseconds)));

    private static List<T> Shuffled<T>(Random random, IEnumerable<T> items)
    {
        var list = items.ToList();
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
        return list;
    }
}
