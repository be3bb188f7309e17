using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.Client;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DistSync.Tests.Queue;

/// <summary>
/// Queue time is Redis's: an owner whose wall clock is 10 s ahead or behind (it stepped, or it took the partition over
/// from a node whose clock differs) neither redelivers a message early nor holds it back late. A node in this process,
/// its wall clock a <see cref="SkewedTimeProvider"/>; its monotonic clock and Redis's stay true.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueClockTests
{
    /// <summary>The longest a consume may wait: long enough that the wait never ends before a late redelivery shows.</summary>
    private const int MaxWaitSec = 20;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OwnerWallClock_10sAheadOrBehind_MessageComesBackWhenItsVisibilityEnds_NotBefore()
    {
        var clock = new SkewedTimeProvider();
        // One partition, as a client creates topics with the default count.
        await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?> { ["DistSync:Queue:DefaultPartitions"] = "1" },
            s => s.AddSingleton<TimeProvider>(clock));
        // Its retries wait for the node to lead and take the publish.
        await using var client = new DistSyncClient(new DistSyncClientOptions { Endpoints = [node.Url], Token = InProcessNode.AdminToken, RetryFor = TimeSpan.FromSeconds(30) });
        var topic = $"clock-{Guid.NewGuid():n}";
        await client.Queue.PublishAsync(topic, 1, cancellationToken: Ct);

        // Ahead: the deadline was set at 6 s on Redis's clock; the owner's clock now reads 16 s past it. Going by its own
        // clock it would hand the message back at once.
        var sent = Stopwatch.StartNew();
        var first = Assert.Single(await ConsumeAsync(client, topic, visibilitySec: 6, waitSec: 5));
        clock.Offset = TimeSpan.FromSeconds(10);
        var requeued = await RequeueExpiredAsync(node, topic);
        var back = Assert.Single(await ConsumeAsync(client, topic, waitSec: MaxWaitSec));
        var cameBackAfter = sent.Elapsed;

        Assert.Equal(0, requeued);
        Assert.Equal((first.Id, 2), (back.Id, back.DeliveryCount));
        Assert.True(cameBackAfter >= TimeSpan.FromSeconds(6), $"back after {cameBackAfter.TotalSeconds:F2} s, before its 6 s of visibility ended");

        // Behind: its deadline is 3 s on Redis's clock, 13 s on the owner's. Going by its own clock it would hold the
        // message back until 13 s after the third delivery: it must come back before that.
        clock.Offset = TimeSpan.FromSeconds(-10);
        var again = Stopwatch.StartNew();
        await back.NackAsync(cancellationToken: Ct);
        var thirdSent = Stopwatch.StartNew();
        var third = Assert.Single(await ConsumeAsync(client, topic, visibilitySec: 3, waitSec: 5));
        var fourth = Assert.Single(await ConsumeAsync(client, topic, waitSec: MaxWaitSec));
        var fourthAfter = thirdSent.Elapsed;

        Assert.Equal((first.Id, 3), (third.Id, third.DeliveryCount));
        Assert.Equal((first.Id, 4), (fourth.Id, fourth.DeliveryCount));
        Assert.True(again.Elapsed >= TimeSpan.FromSeconds(3), $"back after {again.Elapsed.TotalSeconds:F2} s, before its 3 s of visibility ended");
        Assert.True(fourthAfter < TimeSpan.FromSeconds(13), $"back {fourthAfter.TotalSeconds:F2} s after the third delivery: held back by the owner's clock");
        TestContext.Current.SendDiagnosticMessage($"back after {cameBackAfter.TotalSeconds:F2} s (visibility 6 s, owner 10 s ahead), then after {again.Elapsed.TotalSeconds:F2} s (3 s, owner 10 s behind)");
    }

    /// <summary>One consume request (no visibility: the topic's default).</summary>
    private static Task<IReadOnlyList<QueueMessage<int>>> ConsumeAsync(DistSyncClient client, string topic, int waitSec, int? visibilitySec = null) =>
        client.Queue.ConsumeBatchAsync<int>(topic, 1, new ConsumeOptions
        {
            VisibilityTimeout = visibilitySec is { } v ? TimeSpan.FromSeconds(v) : null,
            Wait = TimeSpan.FromSeconds(waitSec),
        }, Ct);

    /// <summary>The owner's sweep of expired deliveries, asked for now (an operator's endpoint the client does not offer): how many came back.</summary>
    private static async Task<long> RequeueExpiredAsync(InProcessNode node, string topic)
    {
        using var http = node.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", InProcessNode.AdminToken);
        using var response = await http.PostAsJsonAsync("/queue/requeue_expired", new { topic }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("requeued").GetInt64();
    }
}
