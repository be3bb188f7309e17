using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace DistSync.Hosting;

/// <summary>
/// Brings a <see cref="RedisClusterResource"/> up: once every member answers, a cluster whose members know only themselves
/// (a fresh data folder) is formed with <c>redis-cli --cluster create … --cluster-replicas 1</c>; members that already
/// know each other (a restart on existing data) are left alone, since their <c>nodes.conf</c> brings the cluster back. Run
/// when Aspire initializes the resource, like <see cref="ClusterStatePublisher"/>; redis-cli's output is the resource's log.
/// </summary>
internal static class RedisClusterFormation
{
    public static async Task RunAsync(RedisClusterResource cluster, InitializeResourceEvent initialize, CancellationToken cancellationToken)
    {
        var notifications = initialize.Notifications;
        var log = initialize.Logger;
        await notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.Starting });
        foreach (var member in cluster.Members)
        {
            await notifications.WaitForResourceHealthyAsync(member.Name, cancellationToken);
        }

        var password = await cluster.Password.GetValueAsync(cancellationToken) ?? "";
        var known = await Task.WhenAll(cluster.Members.Select(m => KnownNodesAsync(m.PrimaryEndpoint.Port, password, cancellationToken)));
        if (known.All(n => n == 1))
        {
            await CreateAsync(cluster, password, log, cancellationToken);
        }
        else if (known.Any(n => n != RedisClusterResource.Size))
        {
            // Half formed (redis-cli stopped part-way) or members replaced by hand: not something to guess about.
            log.LogWarning("The Redis Cluster's members know {Known} nodes each, not {Size}: it stays unhealthy until fixed by hand, or start again with --clean.",
                string.Join("/", known), RedisClusterResource.Size);
        }

        await notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
        await initialize.Eventing.PublishAsync(new ConnectionStringAvailableEvent(cluster, initialize.Services), cancellationToken);
    }

    private static async Task CreateAsync(RedisClusterResource cluster, string password, ILogger log, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("redis-cli", [
            "--cluster", "create", .. cluster.Members.Select(m => $"127.0.0.1:{m.PrimaryEndpoint.Port.ToString(CultureInfo.InvariantCulture)}"),
            "--cluster-replicas", "1", "--cluster-yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Not -a: the password would show in the process list.
            Environment = { ["REDISCLI_AUTH"] = password },
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Cannot start redis-cli.");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            log.LogInformation("{Line}", line);
        }

        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            log.LogError("redis-cli --cluster create exited with {Code}: {Errors}", process.ExitCode, (await errors).Trim());
        }
    }

    private static async Task<int> KnownNodesAsync(int port, string password, CancellationToken cancellationToken) =>
        int.Parse(Field(await RedisProbe.AskAsync(port, password, ["CLUSTER", "INFO"], cancellationToken), "cluster_known_nodes") ?? "0", CultureInfo.InvariantCulture);

    /// <summary>A field of <c>CLUSTER INFO</c>'s answer (<c>name:value</c> lines).</summary>
    public static string? Field(string info, string name) =>
        info.Split("\r\n").FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>
    /// Healthy once every member says the cluster is up (<c>cluster_state:ok</c>) with all 16384 slots served, and each
    /// primary's replica is in sync: before that a script on an unserved slot fails, or its wait for the replica does, so
    /// the nodes wait for this.
    /// </summary>
    public sealed class HealthCheck(RedisClusterResource cluster) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var password = await cluster.Password.GetValueAsync(cancellationToken) ?? "";
                foreach (var member in cluster.Members)
                {
                    var info = await RedisProbe.AskAsync(member.PrimaryEndpoint.Port, password, ["CLUSTER", "INFO"], cancellationToken);
                    if (Field(info, "cluster_state") != "ok" || Field(info, "cluster_slots_ok") != "16384")
                    {
                        return HealthCheckResult.Unhealthy(
                            $"{member.Name}: cluster_state:{Field(info, "cluster_state")}, cluster_slots_ok:{Field(info, "cluster_slots_ok")} of 16384");
                    }

                    // The nodes answer a write once its replica has it (WAIT), so a replica still in its first sync would fail them.
                    var replication = await RedisProbe.AskAsync(member.PrimaryEndpoint.Port, password, ["INFO", "replication"], cancellationToken);
                    var inSync = Field(replication, "role") == "master"
                        ? Field(replication, "slave0")?.Contains("state=online", StringComparison.Ordinal) == true
                        : Field(replication, "master_link_status") == "up";
                    if (!inSync)
                    {
                        return HealthCheckResult.Unhealthy($"{member.Name}: {Field(replication, "role")}, its replication link is not in sync yet");
                    }
                }

                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or InvalidOperationException or FormatException)
            {
                return HealthCheckResult.Unhealthy(ex.Message);
            }
        }
    }
}
