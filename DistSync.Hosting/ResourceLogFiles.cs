using Microsoft.Extensions.Hosting;

namespace DistSync.Hosting;

/// <summary>
/// Writes every resource's console output (what the dashboard's Console logs page shows) to
/// <c>&lt;LogDir&gt;/&lt;resource&gt;.log</c> as it comes, across restarts, so a run can be read after the AppHost
/// has stopped: the fault harness keeps the nodes' logs beside its report. On with <c>--log-dir DIR</c>.
/// </summary>
public sealed class ResourceLogFiles(ResourceNotificationService notifications, ResourceLoggerService logs, DistSyncOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = Path.GetFullPath(options.LogDir!);
        Directory.CreateDirectory(directory);
        var watching = new HashSet<string>(StringComparer.Ordinal);
        var copies = new List<Task>();
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                // One copy per resource: a restarted node's lines go on in the same file.
                if (watching.Add(change.Resource.Name))
                {
                    copies.Add(CopyAsync(change.Resource.Name, change.ResourceId, Path.Combine(directory, change.Resource.Name + ".log"), stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }

        await Task.WhenAll(copies);
    }

    private async Task CopyAsync(string name, string resourceId, string path, CancellationToken stoppingToken)
    {
        // Made at the first line: parameters and hidden helper resources write nothing and get no file.
        StreamWriter? file = null;
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(stoppingToken))
            {
                foreach (var line in batch)
                {
                    file ??= new StreamWriter(path, append: true) { AutoFlush = true };
                    await file.WriteLineAsync(line.IsErrorMessage ? "[stderr] " + line.Content : line.Content);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"warning: stopped writing {name}'s log to {path}: {ex.Message}");
        }
        finally
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }
        }
    }
}
