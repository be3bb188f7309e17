using System.Net.Http.Headers;
using System.Text;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Queue;

/// <summary>
/// A consume whose caller went away leases nothing: when the lease and the hang-up cross (Redis ran the consume after
/// the client had gone), the message is given back at once, its delivery not counted. A node in this process, its
/// Redis frozen to hold the consume's script until the client has hung up.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QueueAbortTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Consume_CallerGoneWhenTheLeaseIsMade_MessageBackAtOnce_DeliveryNotCounted()
    {
        await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?>());
        using var http = node.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", InProcessNode.AdminToken);
        var queue = new QueueClient(http);
        var topic = $"abort-{Guid.NewGuid():n}";
        var id = (await Eventually.UntilAsync(async () => await queue.PublishAsync(topic, "1", partitions: 1, maxDeliveries: 1) is { Status: "queued" } r ? r : null,
            TimeSpan.FromSeconds(30), "the node to lead and take a publish"))!.Id;

        node.Redis.Pause();
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var body = new StringContent($"{{\"topic\":\"{topic}\",\"visibility_timeout_sec\":60}}", Encoding.UTF8, "application/json");
        var abandoned = http.PostAsync(new Uri("/queue/consume", UriKind.Relative), body, gone.Token);
        await Task.Delay(500, Ct); // the consume's script is sent and waits in the frozen Redis
        await gone.CancelAsync(); // the caller hangs up ...
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await Task.Delay(500, Ct);
        node.Redis.Resume(); // ... and then Redis leases it the message

        var next = await queue.ConsumeAsync(topic, waitSec: 5);

        Assert.Equal("ok", next.Status);
        Assert.Equal((id, 1L), (next.Id, next.Body.GetProperty("delivery_count").GetInt64())); // back at once; max_deliveries 1 not used up
        Assert.Equal("acked", (await queue.AckAsync(topic, id, next.Body.GetProperty("receipt").GetString())).Status);
    }
}
