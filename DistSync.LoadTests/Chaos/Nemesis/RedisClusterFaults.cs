using System.Diagnostics;
using System.Globalization;
using System.Net;
using DistSync.LoadTests.Cluster;
using StackExchange.Redis;

namespace DistSync.LoadTests.Chaos.Nemesis;

/// <summary>A member of a Redis Cluster: how the dashboard names it (<c>redis-N</c>) and its client port on loopback.</summary>
public sealed record RedisMemberAddress(string Name, int Port)
{
    /// <summary>
    /// The AppHost's cluster members from <c>DATADIR/redis/ports</c> (one line "port busport" per member); the N of
    /// <c>redis-N</c> is the line's number, as the AppHost names its resources.
    /// </summary>
    public static IReadOnlyList<RedisMemberAddress> FromPortsFile(string dataDir)
    {
        var file = Path.Combine(dataDir, "redis", "ports");
        return [.. File.ReadAllLines(file).Where(l => l.Trim().Length > 0)
            .Select((line, i) => new RedisMemberAddress($"redis-{i + 1}", int.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture)))];
    }
}

/// <summary>What a member says about itself: its process, its cluster node id, whether it is a primary, the primary it replicates, the slots it serves.</summary>
public sealed record RedisMember(string Name, int Port, int ProcessId, string NodeId, bool IsPrimary, string? PrimaryId, string Slots, bool LinkUp);

/// <summary>A primary that serves slots and a replica of it whose replication link is up: the target of a cluster fault.</summary>
public sealed record RedisShard(RedisMember Primary, RedisMember Replica)
{
    /// <summary>"redis-3, primary of slots 10923-16383, pid 1234".</summary>
    public string Describe() => $"{Primary.Name}, primary of slots {Primary.Slots}, pid {Primary.ProcessId}";
}

/// <summary>
/// The Redis-facing half of the <c>redis</c> nemesis on a Redis Cluster: it finds the members through Redis itself
/// (<c>INFO server</c> for the process, <c>INFO replication</c> for the role, <c>CLUSTER NODES</c> for the slots and
/// who replicates whom), signals their processes, waits for a replica to take over, and cuts or restores a
/// replica's replication link. Given the members' loopback ports and the cluster's password (empty for none).
/// </summary>
public sealed class RedisClusterFaults(IReadOnlyList<RedisMemberAddress> members, string password) : IAsyncDisposable
{
    public const string KillPrimary = "kill-primary";
    public const string PausePrimary = "pause-primary";
    public const string PartitionPrimary = "partition-primary";

    /// <summary>The node timeout is 2 s; failovers have been seen to take 3.8–4.8 s from a stop. Past this, it is not coming.</summary>
    public static readonly TimeSpan TakeoverTimeout = TimeSpan.FromSeconds(15);

    private ConnectionMultiplexer? _connection;

    public IReadOnlyList<RedisMemberAddress> Members { get; } = members;

    /// <summary>Every member that answers, as it describes itself; a stopped or dead member is left out.</summary>
    public async Task<IReadOnlyList<RedisMember>> SurveyAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync();
        var answers = await Task.WhenAll(Members.Select(async m =>
        {
            try
            {
                return await DescribeAsync(connection.GetServer(Endpoint(m.Port)), m).WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or FormatException)
            {
                return null; // stopped, dead, or restarting
            }
        }));
        return [.. answers.OfType<RedisMember>()];
    }

    /// <summary>A primary with an in-sync replica, drawn with <paramref name="random"/>; null when no shard has one right now.</summary>
    public async Task<RedisShard?> PickShardAsync(Random random, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(random);
        var survey = await SurveyAsync(cancellationToken);
        var shards = survey.Where(p => p.IsPrimary && p.Slots.Length > 0).OrderBy(p => p.Port)
            .Select(p => survey.FirstOrDefault(r => !r.IsPrimary && r.PrimaryId == p.NodeId && r.LinkUp) is { } replica ? new RedisShard(p, replica) : null)
            .OfType<RedisShard>().ToList();
        return shards.Count == 0 ? null : shards[random.Next(shards.Count)];
    }

    /// <summary>SIGSTOP: the member takes nothing off its sockets, its cluster bus included, as a hung host.</summary>
    public static void Stop(RedisMember member) => LinuxProcesses.Signal([Checked(member).ProcessId], LinuxProcesses.SigStop);

    public static void Resume(RedisMember member) => LinuxProcesses.Signal([Checked(member).ProcessId], LinuxProcesses.SigCont);

    public static void Kill(RedisMember member) => LinuxProcesses.Signal([Checked(member).ProcessId], LinuxProcesses.SigKill);

    /// <summary>How long until <paramref name="replica"/> reports <c>role:master</c> (polled every 100 ms), or null if not within <paramref name="timeout"/>.</summary>
    public async Task<TimeSpan?> WaitForTakeoverAsync(RedisMember replica, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var clock = Stopwatch.StartNew();
        var server = (await ConnectAsync()).GetServer(Endpoint(replica.Port));
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (Field(await server.InfoRawAsync("replication"), "role") == "master")
                {
                    return clock.Elapsed;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // not answering right now; ask again
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        return null;
    }

    /// <summary>
    /// Cuts only the replication link of <paramref name="replica"/>: it is told a wrong <c>masterauth</c> and its link
    /// to its primary is closed, so every reconnect it makes (one a second) fails AUTH. Both keep serving clients and the
    /// cluster bus is untouched, so no failover starts; writes on the primary just cannot reach the replica.
    /// </summary>
    public async Task CutReplicationAsync(RedisMember replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var server = (await ConnectAsync()).GetServer(Endpoint(replica.Port));
        await server.ExecuteAsync("CONFIG", "SET", "masterauth", "not-the-password-" + Guid.NewGuid().ToString("n")).WaitAsync(cancellationToken);
        await server.ExecuteAsync("CLIENT", "KILL", "TYPE", "master").WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Gives <paramref name="replica"/> the right <c>masterauth</c> back; its next reconnect (within a second) succeeds
    /// and it resyncs. Tried for 10 s, since a heal must not be lost to one slow answer.
    /// </summary>
    public async Task RestoreReplicationAsync(RedisMember replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var server = (await ConnectAsync()).GetServer(Endpoint(replica.Port));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                await server.ExecuteAsync("CONFIG", "SET", "masterauth", password);
                return;
            }
            catch (Exception ex) when ((ex is RedisException or TimeoutException) && DateTime.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    /// <summary><c>master_link_status:up</c> on <paramref name="replica"/>: it is connected to its primary and in sync.</summary>
    public async Task<bool> IsLinkUpAsync(RedisMember replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var info = await (await ConnectAsync()).GetServer(Endpoint(replica.Port)).InfoRawAsync("replication");
        return Field(info, "master_link_status") == "up";
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    private static async Task<RedisMember> DescribeAsync(IServer server, RedisMemberAddress address)
    {
        var pid = int.Parse(Field(await server.InfoRawAsync("server"), "process_id") ?? "", CultureInfo.InvariantCulture);
        var replication = await server.InfoRawAsync("replication");
        // The member's own line of CLUSTER NODES: "<id> <addr> myself,master <primary id or -> <ping> <pong> <epoch> <link> <slots>…".
        var nodes = (string?)await server.ExecuteAsync("CLUSTER", "NODES") ?? "";
        var own = nodes.Split('\n').Select(l => l.Trim().Split(' ')).FirstOrDefault(f => f.Length >= 8 && f[2].Split(',').Contains("myself"))
            ?? throw new FormatException($"{address.Name} has no line of its own in CLUSTER NODES.");
        return new RedisMember(address.Name, address.Port, pid, own[0], Field(replication, "role") == "master", own[3] == "-" ? null : own[3],
            string.Join(",", own.Skip(8)), Field(replication, "master_link_status") == "up");
    }

    /// <summary>One shared connection to every member, made on first use; a member that is down is simply not connected.</summary>
    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        if (_connection is not null)
        {
            return _connection;
        }

        var options = new ConfigurationOptions
        {
            AllowAdmin = true,
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            SyncTimeout = 2000,
            AsyncTimeout = 2000,
            Password = password.Length == 0 ? null : password,
        };
        foreach (var member in Members)
        {
            options.EndPoints.Add(Endpoint(member.Port));
        }

        return _connection = await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static IPEndPoint Endpoint(int port) => new(IPAddress.Loopback, port);

    private static string? Field(string? info, string name) =>
        info?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>A pid of 0 or less would signal a process group; never send one.</summary>
    private static RedisMember Checked(RedisMember member) =>
        member is { ProcessId: > 0 } ? member : throw new ArgumentException($"{member?.Name} has no process id.", nameof(member));
}
