using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistSync.Hosting;

/// <summary>
/// How the AppHost changes the cluster's members through the nodes' <c>/cluster/members</c>: add a node as a learner,
/// wait until its log has caught up, promote it; remove one; and start, stop or wipe the node resources around that.
/// Used by the dashboard's commands (<see cref="MembershipCommands"/>) and at start (<see cref="MembershipReconciler"/>).
/// </summary>
internal sealed class MembershipDriver(DistSyncResource cluster, string dataDir, IServiceProvider services, ILogger logger)
{
    public const string HttpClientName = "distsync-admin";

    /// <summary>How long a learner may take to catch up before the command gives up (it stays a learner then).</summary>
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromMinutes(2);

    private HttpClient Http => services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);

    private ResourceNotificationService Notifications => services.GetRequiredService<ResourceNotificationService>();

    /// <summary>The members as the leader sees them, asked of any running node other than <paramref name="except"/>; null when none answers.</summary>
    public async Task<IReadOnlyList<Member>?> MembersAsync(string? except, CancellationToken cancellationToken)
    {
        foreach (var node in RunningNodes(except))
        {
            try
            {
                var body = await Http.GetFromJsonAsync<JsonElement>($"{UrlOf(node)}/cluster/members", cancellationToken);
                return [.. body.GetProperty("members").EnumerateArray().Select(m => new Member(
                    m.GetProperty("id").GetString()!, m.GetProperty("role").GetString()!, m.GetProperty("lag").GetInt64(), m.GetProperty("reachable").GetBoolean()))];
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException && !cancellationToken.IsCancellationRequested)
            {
                // Not the one to ask right now (starting, or no leader yet): the next one.
            }
        }

        return null;
    }

    /// <summary>Adds <paramref name="node"/> (running) as a learner, waits until it has caught up, and promotes it; returns what happened.</summary>
    public async Task<string> AddAsync(IResourceWithEndpoints node, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var members = await MembersAsync(node.Name, cancellationToken);
            var self = members?.FirstOrDefault(m => m.Id == node.Name);
            if (self is { Role: "voter" })
            {
                return $"{node.Name} is a voter: voters {string.Join(", ", members!.Where(m => m.Role == "voter").Select(m => m.Id))}.";
            }

            if (members is not null && self is null)
            {
                // A 409 (another change still applying) is retried on the next turn.
                var (status, detail) = await SendAsync(HttpMethod.Post, "/cluster/members", new { node_id = node.Name, url = UrlOf(node) }, node.Name, cancellationToken);
                logger.LogInformation("Adding {Node} as a learner: {Status} {Detail}", node.Name, (int)status, detail);
            }
            else if (self is { Role: "learner", Lag: 0, Reachable: true })
            {
                var (status, detail) = await SendAsync(HttpMethod.Post, $"/cluster/members/{node.Name}/promote", null, node.Name, cancellationToken);
                logger.LogInformation("Promoting {Node}: {Status} {Detail}", node.Name, (int)status, detail);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        throw new TimeoutException($"{node.Name} did not become a voter within {CatchUpTimeout.TotalSeconds:F0} s: see its log, and GET /cluster/members.");
    }

    /// <summary>Removes <paramref name="id"/> from the cluster's configuration (nothing to do when it is no member).</summary>
    public async Task<string> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (status, detail) = await SendAsync(HttpMethod.Delete, $"/cluster/members/{id}", null, id, cancellationToken);
            if (status is HttpStatusCode.OK or HttpStatusCode.NotFound)
            {
                logger.LogInformation("Removing {Node}: {Status} {Detail}", id, (int)status, detail);
                return status == HttpStatusCode.OK ? $"{id} removed from the cluster." : $"{id} was not a member.";
            }

            // 409 (another change is still being applied), 503 (a leader is being elected): retry for a while.
            if (DateTime.UtcNow > deadline || status is not (HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable or 0))
            {
                throw new InvalidOperationException($"Removing {id} failed: {(int)status} {detail}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    public async Task StartAsync(IResourceWithEndpoints node, CancellationToken cancellationToken)
    {
        var result = await services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(node, KnownResourceCommands.StartCommand, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Starting {node.Name} failed: {result.Message}");
        }

        await Notifications.WaitForResourceHealthyAsync(node.Name, WaitBehavior.StopOnResourceUnavailable, cancellationToken);
    }

    public async Task StopAsync(IResourceWithEndpoints node, CancellationToken cancellationToken)
    {
        if (!IsRunning(node))
        {
            return;
        }

        var result = await services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(node, KnownResourceCommands.StopCommand, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Stopping {node.Name} failed: {result.Message}");
        }

        await Notifications.WaitForResourceAsync(node.Name, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cancellationToken);
    }

    /// <summary>Deletes a stopped node's data folder: it then starts as a new node and joins as a learner.</summary>
    public void Wipe(IResource node)
    {
        var folder = Path.Combine(dataDir, node.Name);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
            logger.LogInformation("Deleted {Node}'s data folder {Folder}", node.Name, folder);
        }
    }

    public bool HoldsState(IResource node) =>
        Directory.Exists(Path.Combine(dataDir, node.Name)) && Directory.EnumerateFileSystemEntries(Path.Combine(dataDir, node.Name)).Any();

    public bool IsRunning(IResource node) =>
        Notifications.TryGetCurrentState(node.Name, out var current) && current.Snapshot.State?.Text == KnownResourceStates.Running;

    /// <summary>Sends to a running node other than <paramref name="except"/> (any node hands it to the leader); 0 when none answered.</summary>
    private async Task<(HttpStatusCode Status, string Detail)> SendAsync(HttpMethod method, string path, object? body, string? except, CancellationToken cancellationToken)
    {
        foreach (var node in RunningNodes(except))
        {
            try
            {
                using var request = new HttpRequestMessage(method, $"{UrlOf(node)}{path}") { Content = body is null ? null : JsonContent.Create(body) };
                using var response = await Http.SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                var detail = response.IsSuccessStatusCode ? "" : TryDetail(text);
                return (response.StatusCode, detail);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The next node.
            }
        }

        return (0, "no node answered");
    }

    private IEnumerable<IResourceWithEndpoints> RunningNodes(string? except) =>
        cluster.AllNodes.Where(n => n.Name != except && IsRunning(n));

    private static string UrlOf(IResourceWithEndpoints node) => node.GetEndpoint(DistSyncNodes.EndpointName).Url.TrimEnd('/');

    private static string TryDetail(string problem)
    {
        try
        {
            return JsonDocument.Parse(problem).RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? problem : problem;
        }
        catch (JsonException)
        {
            return problem;
        }
    }

    public sealed record Member(string Id, string Role, long Lag, bool Reachable);
}
