using DistSync.LoadTests.Cluster;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>Unmeasured preparation and clean-up: taking and giving back the locks a benchmark works on.</summary>
public static class LockSetup
{
    /// <summary>Acquires every lock (all at once); a lock that is not granted ends the benchmark with the reason.</summary>
    public static async Task AcquireAllAsync(ClusterClient client, IReadOnlyList<(Uri Node, byte[] Body)> acquires)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(acquires);
        var results = await Task.WhenAll(acquires.Select(a => client.PostAsync(new Uri(a.Node, "/locks/acquire"), a.Body, CancellationToken.None)));
        if (results.FirstOrDefault(r => r.Kind != OpKind.Ok) is { Kind: not OpKind.Ok } bad)
        {
            throw new InvalidOperationException($"Setting up the benchmark's locks failed: {bad.Detail} (another run still holding them? they expire by their ttl).");
        }
    }

    /// <summary>Releases every lock; failures only warn (the leases expire anyway).</summary>
    public static async Task ReleaseAllAsync(ClusterClient client, IReadOnlyList<(Uri Node, byte[] Body)> releases)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(releases);
        try
        {
            var results = await Task.WhenAll(releases.Select(r => client.PostAsync(new Uri(r.Node, "/locks/release"), r.Body, CancellationToken.None)));
            var failed = results.Count(r => r.Kind == OpKind.Failed);
            if (failed > 0)
            {
                await Console.Error.WriteLineAsync($"warning: {failed} release(s) failed during clean-up; those leases expire by their ttl.");
            }
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"warning: clean-up failed ({ex.Message}); the leases expire by their ttl.");
        }
    }
}
