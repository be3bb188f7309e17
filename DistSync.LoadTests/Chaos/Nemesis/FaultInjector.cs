using System.Globalization;
using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Chaos.Nemesis;

/// <summary>
/// Strikes a schedule's faults on a real cluster: signals to its processes (<see cref="ClusterProcesses"/>) and cuts or
/// delays in its peer links (<see cref="ProxyMesh"/>). Each fault is healed when its time is up, or when the run is
/// cancelled: a paused node is resumed and every link made whole; a killed process is the AppHost's to restart. On a
/// Redis Cluster (<paramref name="redisCluster"/> given) the <c>redis</c> nemesis strikes the cluster's members instead.
/// </summary>
public sealed class FaultInjector(ProxyMesh mesh, ClusterProcesses processes, ClusterClient status, int seed, NodeClocks? clocks = null,
    RedisClusterFaults? redisCluster = null)
{
    private readonly Random _random = new(seed);

    /// <summary>Applies the fault, holds it for its duration, heals it; returns what was done, for the report.</summary>
    public async Task<string> RunAsync(Fault fault, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fault);
        var until = DateTime.UtcNow + fault.Duration;
        List<int> paused = [];
        RedisMember? replicationCut = null;
        try
        {
            switch (fault.Nemesis)
            {
                case Nemeses.Redis when redisCluster is not null:
                    return await StrikeRedisClusterAsync(redisCluster, fault, until, paused, cut => replicationCut = cut, cancellationToken);

                case Nemeses.Kill:
                {
                    var targets = fault.Variant switch
                    {
                        "leader" => [await LeaderOrAnyAsync(cancellationToken)],
                        "majority" => Shuffled().Take((mesh.Nodes.Count / 2) + 1).ToList(),
                        _ => [Any()],
                    };
                    var killed = new List<string>();
                    foreach (var node in targets)
                    {
                        var pids = processes.KillNode(node);
                        killed.Add(pids.Count == 0 ? $"no {node} process found" : $"{node} (pid {string.Join(",", pids)})");
                        // "In turn": the next one a moment later, while the first is still restarting.
                        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    }

                    await WaitAsync(until, cancellationToken);
                    return killed.All(k => k.StartsWith("no ", StringComparison.Ordinal)) ? string.Join(", ", killed) : $"killed {string.Join(", ", killed)}";
                }

                case Nemeses.Pause:
                {
                    var node = fault.Variant == "leader" ? await LeaderOrAnyAsync(cancellationToken) : Any();
                    paused.AddRange(processes.PauseNode(node));
                    if (paused.Count == 0)
                    {
                        return $"no {node} process found to pause";
                    }

                    await WaitAsync(until, cancellationToken);
                    return $"paused {node} (pid {string.Join(",", paused)}) for {Seconds(fault.Duration)}";
                }

                case Nemeses.Partition:
                    return await PartitionAsync(fault, until, cancellationToken);

                case Nemeses.Latency:
                {
                    var latency = TimeSpan.FromMilliseconds(int.Parse(fault.Variant.TrimEnd('m', 's'), CultureInfo.InvariantCulture));
                    mesh.SetLatency(latency);
                    await WaitAsync(until, cancellationToken);
                    return $"{fault.Variant} added to every peer link";
                }

                case Nemeses.Redis when fault.Variant == "pause":
                {
                    if (processes.Redis() is not { } redis)
                    {
                        return "no Redis process found to pause";
                    }

                    paused.Add(redis);
                    LinuxProcesses.Signal(paused, LinuxProcesses.SigStop);
                    await WaitAsync(until, cancellationToken);
                    return $"paused Redis (pid {redis}) for {Seconds(fault.Duration)}";
                }

                case Nemeses.Clock:
                    return await SkewAsync(fault, until, cancellationToken);

                case Nemeses.Redis:
                {
                    var pid = processes.KillRedis();
                    await WaitAsync(until, cancellationToken);
                    return pid is null ? "no Redis process found to kill" : $"killed Redis (pid {pid})";
                }

                default:
                    throw new ArgumentException($"no nemesis '{fault.Nemesis}'.");
            }
        }
        finally
        {
            ClusterProcesses.Resume(paused);
            mesh.Heal();
            clocks?.Reset();
            if (replicationCut is not null)
            {
                await redisCluster!.RestoreReplicationAsync(replicationCut);
            }
        }
    }

    /// <summary>
    /// A Redis Cluster fault on a primary with an in-sync replica. kill-primary stops the primary, waits for its replica
    /// to take over, and only then kills it: a crash at the moment of the stop, with the AppHost's restart (1 s after the
    /// exit) held off until the failover, since a member back within the node timeout (2 s) would never be failed over.
    /// pause-primary keeps it stopped for the fault's length, and at least until its replica took over. partition-primary
    /// cuts the replication link alone. What to undo is handed back through <paramref name="paused"/> and <paramref name="cut"/>.
    /// </summary>
    private async Task<string> StrikeRedisClusterAsync(RedisClusterFaults cluster, Fault fault, DateTime until, List<int> paused, Action<RedisMember> cut,
        CancellationToken cancellationToken)
    {
        if (await cluster.PickShardAsync(_random, cancellationToken) is not { } shard)
        {
            return "no Redis primary with an in-sync replica found";
        }

        switch (fault.Variant)
        {
            case RedisClusterFaults.KillPrimary:
            {
                paused.Add(shard.Primary.ProcessId);
                RedisClusterFaults.Stop(shard.Primary);
                var takeover = await cluster.WaitForTakeoverAsync(shard.Replica, RedisClusterFaults.TakeoverTimeout, cancellationToken);
                RedisClusterFaults.Kill(shard.Primary);
                paused.Remove(shard.Primary.ProcessId);
                await WaitAsync(until, cancellationToken);
                return $"killed {shard.Describe()}; {Takeover(shard, takeover)}";
            }

            case RedisClusterFaults.PausePrimary:
            {
                var stopped = DateTime.UtcNow;
                paused.Add(shard.Primary.ProcessId);
                RedisClusterFaults.Stop(shard.Primary);
                var takeover = await cluster.WaitForTakeoverAsync(shard.Replica, RedisClusterFaults.TakeoverTimeout, cancellationToken);
                await WaitAsync(until, cancellationToken);
                return $"paused {shard.Describe()} for {Seconds(DateTime.UtcNow - stopped)}; {Takeover(shard, takeover)}";
            }

            case RedisClusterFaults.PartitionPrimary:
            {
                cut(shard.Replica);
                await cluster.CutReplicationAsync(shard.Replica, cancellationToken);
                await WaitAsync(until, cancellationToken);
                return $"cut the replication link from {shard.Describe()} to its replica {shard.Replica.Name} for {Seconds(fault.Duration)}";
            }

            default:
                throw new ArgumentException($"no Redis Cluster fault '{fault.Variant}'.");
        }
    }

    private static string Takeover(RedisShard shard, TimeSpan? after) => after is { } t
        ? $"its replica {shard.Replica.Name} took over after {Seconds(t)}"
        : $"its replica {shard.Replica.Name} had not taken over after {Seconds(RedisClusterFaults.TakeoverTimeout)}";

    /// <summary>
    /// Steps a node's wall clock 10 s back or ahead, again and again at random moments, or lets every node's clock drift
    /// apart at 1 % (each node at its own rate, some fast, some slow); at the end every clock is set right again.
    /// </summary>
    private async Task<string> SkewAsync(Fault fault, DateTime until, CancellationToken cancellationToken)
    {
        if (clocks is null)
        {
            return "no node clocks to skew (the nodes were started without libfaketime)";
        }

        if (fault.Variant == "drift")
        {
            var started = DateTime.UtcNow;
            var rates = clocks.Nodes.Select((node, i) => (node, Rate: (i - ((clocks.Nodes.Count - 1) / 2.0)) * 0.01)).ToList();
            while (DateTime.UtcNow < until)
            {
                var elapsed = DateTime.UtcNow - started;
                foreach (var (node, rate) in rates)
                {
                    clocks.Set(node, elapsed * rate);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }

            return $"wall clocks drifted for {Seconds(fault.Duration)}: " + string.Join(", ", rates.Select(r =>
                string.Create(CultureInfo.InvariantCulture, $"{r.node} {r.Rate * 100:+0.#;-0.#;0} %")));
        }

        var target = fault.Variant == "step-leader" ? await LeaderOrAnyAsync(cancellationToken) : Any();
        var steps = new List<string>();
        while (DateTime.UtcNow < until)
        {
            var offset = TimeSpan.FromSeconds(_random.Next(2) == 0 ? -10 : 10);
            clocks.Set(target, offset);
            steps.Add(offset > TimeSpan.Zero ? "+10 s" : "-10 s");
            var next = TimeSpan.FromMilliseconds(_random.Next(1_000, 3_001));
            var left = until - DateTime.UtcNow;
            await Task.Delay(next < left ? next : left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
        }

        return $"stepped {target}'s wall clock {string.Join(", ", steps)}";
    }

    private async Task<string> PartitionAsync(Fault fault, DateTime until, CancellationToken cancellationToken)
    {
        switch (fault.Variant)
        {
            case "isolate-leader":
            {
                var leader = await LeaderOrAnyAsync(cancellationToken);
                mesh.Isolate(leader);
                await WaitAsync(until, cancellationToken);
                return $"isolated {leader}";
            }

            case "split":
            {
                var alone = Any();
                mesh.Isolate(alone);
                await WaitAsync(until, cancellationToken);
                return $"split {alone} | {string.Join(",", mesh.Nodes.Where(n => n != alone))}";
            }

            case "bridge":
            {
                var bridge = Any();
                mesh.Bridge(bridge);
                await WaitAsync(until, cancellationToken);
                return $"bridge through {bridge}";
            }

            case "flapping":
            {
                // One node cut off and let back every second, so elections start and are interrupted.
                var node = Any();
                var flaps = 0;
                while (DateTime.UtcNow < until)
                {
                    if (flaps++ % 2 == 0)
                    {
                        mesh.Isolate(node);
                    }
                    else
                    {
                        mesh.Heal();
                    }

                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }

                return $"flapped {node}'s links {flaps} times";
            }

            default:
                throw new ArgumentException($"no partition variant '{fault.Variant}'.");
        }
    }

    /// <summary>The leader most nodes name (the highest term among them); any node when none is known right now.</summary>
    private async Task<string> LeaderOrAnyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        var views = await status.GetNodesAsync(timeout.Token);
        var leader = views.Where(v => v.LeaderId is not null && mesh.Nodes.Contains(v.LeaderId))
            .GroupBy(v => v.LeaderId!).OrderByDescending(g => g.Max(v => v.Term)).ThenByDescending(g => g.Count()).FirstOrDefault()?.Key;
        return leader ?? Any();
    }

    private string Any() => mesh.Nodes[_random.Next(mesh.Nodes.Count)];

    private List<string> Shuffled()
    {
        var nodes = mesh.Nodes.ToArray();
        _random.Shuffle(nodes);
        return [.. nodes];
    }

    private static async Task WaitAsync(DateTime until, CancellationToken cancellationToken)
    {
        var left = until - DateTime.UtcNow;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancellationToken);
        }
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s";
}
