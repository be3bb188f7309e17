namespace DistSync.LoadTests.Versus;

/// <summary>Waits (bounded) for a peer system to answer, failing fast with its log's path if one of its processes exits.</summary>
public static class PeerReadiness
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <param name="ready">True once the system serves; an exception counts as not yet.</param>
    public static async Task WaitAsync(string system, PeerGroup group, Func<CancellationToken, Task<bool>> ready, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(ready);
        var until = DateTime.UtcNow + Timeout;
        while (true)
        {
            group.ThrowIfExited();

            try
            {
                if (await ready(cancellationToken))
                {
                    return;
                }
            }
#pragma warning disable CA1031 // Any failure of a probe means "not ready yet"; the timeout below names the logs.
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
            }

            if (DateTime.UtcNow > until)
            {
                throw new InvalidOperationException($"{system} did not come up within {Timeout.TotalSeconds:F0} s; its output is in {string.Join(", ", group.LogPaths)}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Stops the servers and deletes the data folder; never throws.</summary>
    public static async Task StopAsync(PeerGroup group, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(group);
        await group.DisposeAsync();
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"warning: could not delete {dataDir}: {ex.Message}");
        }
    }
}
