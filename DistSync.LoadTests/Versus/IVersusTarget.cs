namespace DistSync.LoadTests.Versus;

/// <summary>One system through one driver (etcd through dotnet-etcd, DistSync through its client or raw HTTP).</summary>
public interface IVersusTarget
{
    /// <summary>One of <see cref="VersusSystems"/>.</summary>
    string System { get; }

    /// <summary>How the operations reach it: a client library's name, or DistSync's <c>client</c> or <c>http</c>.</summary>
    string Driver { get; }

    /// <summary>Whether it runs <paramref name="workload"/> (one of <see cref="VersusWorkloads"/>).</summary>
    bool Runs(string workload);

    /// <summary>
    /// Unmeasured set-up for one level (leases, keys, a consumer), and the operation each worker repeats; disposing the
    /// answer undoes the set-up.
    /// </summary>
    Task<VersusRun> PrepareAsync(string workload, int workers, CancellationToken cancellationToken);
}
