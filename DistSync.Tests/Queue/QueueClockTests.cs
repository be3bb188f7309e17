using System.Diagnostics;
using System.Net.Http.Headers;
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
        await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?>(), s => s.AddSingleton<TimeProvider>(clock));
        using var http = node.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", InProcessNode.AdminToken);
        var queue = new QueueClient(http);
        var topic = $"clock-{Guid.NewGuid():n}";
        await Eventually.UntilAsync(async () => (await queue.PublishAsync(topic, "1", partitions: 1)).Status == "queued" ? "" : null,
            TimeSpan.FromSeconds(30), "the node to lead and take a publish");

        // Ahead: the deadline was set at 6 s on Redis's clock; the owner's clock now reads 16 s past it. Going by its own
        // clock it would hand the message back at once.
        var sent = Stopwatch.StartNew();
        var first = await queue.ConsumeAsync(topic, visibilitySec: 6);
        clock.Offset = TimeSpan.FromSeconds(10);
        var requeued = await queue.PostAsync("/queue/requeue_expired", new() { ["topic"] = topic });
        var back = await queue.ConsumeAsync(topic, waitSec: MaxWaitSec);
        var cameBackAfter = sent.Elapsed;

        Assert.Equal("ok", first.Status);
        Assert.Equal(0, requeued.Body.GetProperty("requeued").GetInt64());
        Assert.Equal((first.Id, 2L), (back.Id, back.Body.GetProperty("delivery_count").GetInt64()));
        Assert.True(cameBackAfter >= TimeSpan.FromSeconds(6), $"back after {cameBackAfter.TotalSeconds:F2} s, before its 6 s of visibility ended");

        // Behind: its deadline is 3 s on Redis's clock, 13 s on the owner's. Going by its own clock it would hold the
        // message back until 13 s after the third delivery: it must come back before that.
        clock.Offset = TimeSpan.FromSeconds(-10);
        var again = Stopwatch.StartNew();
        await queue.PostAsync("/queue/nack", new() { ["topic"] = topic, ["id"] = back.Id, ["receipt"] = back.Body.GetProperty("receipt").GetString() });
        var thirdSent = Stopwatch.StartNew();
        var third = await queue.ConsumeAsync(topic, visibilitySec: 3, waitSec: 5);
        var fourth = await queue.ConsumeAsync(topic, waitSec: MaxWaitSec);
        var fourthAfter = thirdSent.Elapsed;

        Assert.Equal((first.Id, 3L), (third.Id, third.Body.GetProperty("delivery_count").GetInt64()));
        Assert.Equal((first.Id, 4L), (fourth.Id, fourth.Body.GetProperty("delivery_count").GetInt64()));
        Assert.True(again.Elapsed >= TimeSpan.FromSeconds(3), $"back after {again.Elapsed.TotalSeconds:F2} s, before its 3 s of visibility ended");
        Assert.True(fourthAfter < TimeSpan.FromSeconds(13), $"back {fourthAfter.TotalSeconds:F2} s after the third delivery: held back by the owner's clock");
        TestContext.Current.SendDiagnosticMessage($"back after {cameBackAfter.TotalSeconds:F2} s (visibility 6 s, owner 10 s ahead), then after {again.Elapsed.TotalSeconds:F2} s (3 s, owner 10 s behind)");
    }
}
