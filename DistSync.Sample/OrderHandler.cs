using DistSync.Client;

namespace DistSync.Sample;

/// <summary>
/// Processes one order: holds the customer's lock (so two instances never update one customer at once), reads the
/// customer's totals from the cache, writes them back with the order counted, and carries the lock's fencing token
/// into the log line, as a store would be given it. The message is acked when this returns.
/// </summary>
public sealed partial class OrderHandler(DistSyncClient client, ILogger<OrderHandler> logger) : IQueueHandler<Order>
{
    public async Task HandleAsync(QueueMessage<Order> message, CancellationToken cancellationToken)
    {
        var order = message.Payload;
        using var activity = Orders.Telemetry.StartActivity("order.process");
        activity?.SetTag("order.customer", order.Customer);
        await using var hold = await client.Locks.AcquireAsync($"customer/{order.Customer}", LockMode.Exclusive, TimeSpan.FromSeconds(10), cancellationToken);
        var key = $"customer:{order.Customer}";
        var totals = await client.Cache.GetAsync<CustomerTotals>(key, cancellationToken) ?? new CustomerTotals(order.Customer, 0, 0);
        totals = totals with { Orders = totals.Orders + 1, Items = totals.Items + order.Items };
        await client.Cache.SetAsync(key, totals, cancellationToken: cancellationToken);
        LogProcessed(order.Id, order.Customer, totals.Orders, hold.FencingToken, message.DeliveryCount);
    }

    [LoggerMessage(1, LogLevel.Information, "Processed order {Id} for {Customer}: order {Count} of theirs, under fencing token {Token} (delivery {Delivery})")]
    private partial void LogProcessed(Guid id, string customer, int count, long token, int delivery);
}
