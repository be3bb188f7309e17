using DistSync.Client;

namespace DistSync.Sample;

/// <summary>Places an order about every second for one of a few customers; the customer is the message key, so one customer's orders keep their order.</summary>
public sealed partial class OrderDesk(DistSyncClient client, ILogger<OrderDesk> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var random = new Random();
        while (!stoppingToken.IsCancellationRequested)
        {
            var order = new Order(Guid.NewGuid(), Orders.Customers[random.Next(Orders.Customers.Length)], 1 + random.Next(5), DateTimeOffset.UtcNow);
            using (var activity = Orders.Telemetry.StartActivity("order.place"))
            {
                activity?.SetTag("order.customer", order.Customer);
                try
                {
                    var published = await client.Queue.PublishAsync(Orders.Topic, order, key: order.Customer, cancellationToken: stoppingToken);
                    LogPlaced(order.Id, order.Customer, published.Partition);
                }
                catch (DistSyncException ex)
                {
                    LogNotPlaced(order.Customer, ex.Message); // the cluster is electing or restarting: the next order tries again
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Placed order {Id} for {Customer} (partition {Partition})")]
    private partial void LogPlaced(Guid id, string customer, int partition);

    [LoggerMessage(2, LogLevel.Warning, "Order for {Customer} not placed: {Reason}")]
    private partial void LogNotPlaced(string customer, string reason);
}
