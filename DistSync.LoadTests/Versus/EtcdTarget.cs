using System.Globalization;
using DistSync.LoadTests.Cluster;
using dotnet_etcd;
using Etcdserverpb;

namespace DistSync.LoadTests.Versus;

/// <summary>
/// etcd through dotnet-etcd, one client (one gRPC channel over the three members) shared by every worker. Locks use
/// etcd's lock service: each worker is granted a lease once per level and keeps it alive for the level, as a DistSync
/// client keeps its session; a pair is <c>Lock(name, lease)</c> then <c>Unlock(key)</c>. Reads are range gets, which are
/// linearizable unless asked to be serializable.
/// </summary>
public sealed class EtcdTarget(EtcdCluster cluster, string run) : IVersusTarget, IDisposable
{
    /// <summary>Longer than any level, so a lease outlives it even if a keep-alive is late.</summary>
    private const long LeaseTtlSeconds = 60;

    private readonly EtcdClient _etcd = new(string.Join(',', cluster.ClientUrls.Select(u => u.GetLeftPart(UriPartial.Authority))));

    public string System => VersusSystems.Etcd;

    public string Driver => "dotnet-etcd";

    public bool Runs(string workload) => workload is VersusWorkloads.Locks or VersusWorkloads.Contended or VersusWorkloads.Reads;

    public async Task<VersusRun> PrepareAsync(string workload, int workers, CancellationToken cancellationToken)
    {
        if (workload == VersusWorkloads.Reads)
        {
            var key = $"vs/{run}/read";
            await _etcd.PutAsync(key, "{\"holder\":\"vs\"}", cancellationToken: cancellationToken);
            return new VersusRun(async (_, ct) =>
            {
                var read = await _etcd.GetAsync(key, cancellationToken: ct);
                return read.Kvs.Count == 1 ? OpResult.Ok : OpResult.Failed("key not found");
            }, async () => await _etcd.DeleteAsync(key));
        }

        var names = Enumerable.Range(0, workers)
            .Select(i => workload == VersusWorkloads.Contended ? $"vs/{run}/contended-{workers}" : string.Create(CultureInfo.InvariantCulture, $"vs/{run}/lock-{workers}-{i}"))
            .ToArray();
        var leases = await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
            (await _etcd.LeaseGrantAsync(new LeaseGrantRequest { TTL = LeaseTtlSeconds }, cancellationToken: cancellationToken)).ID));
        var keepAlive = new CancellationTokenSource();
        var keepers = leases.Select(lease => KeepAliveAsync(lease, keepAlive.Token)).ToArray();
        return new VersusRun(
            (i, ct) => ClientOutcome.RunAsync(async () =>
            {
                var held = await _etcd.LockAsync(names[i], leases[i], cancellationToken: ct);
                await _etcd.UnlockAsync(held.Key.ToStringUtf8(), cancellationToken: ct);
            }),
            async () =>
            {
                await keepAlive.CancelAsync();
                await Task.WhenAll(keepers);
                keepAlive.Dispose();
                await Task.WhenAll(leases.Select(lease => _etcd.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease })));
            });
    }

    public void Dispose() => _etcd.Dispose();

    private async Task KeepAliveAsync(long lease, CancellationToken cancellationToken)
    {
        try
        {
            await _etcd.LeaseKeepAlive(lease, cancellationToken);
        }
#pragma warning disable CA1031 // The keep-alive ends with the level, however it ends; the lease's TTL outlives the level anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
