using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistSync.Client;

/// <summary>
/// Runs <c>concurrency</c> consumers of one topic in the app's host, each handing every message to a
/// <typeparamref name="THandler"/> in a scope of its own. While a handler runs its message is kept hidden (extended at
/// half its visibility each time), so a slow handler is not raced by a second delivery.
/// </summary>
internal sealed partial class QueueConsumerService<T, THandler>(
    DistSyncClient client, IServiceScopeFactory scopes, ILogger<QueueConsumerService<T, THandler>> logger, QueueConsumerSettings settings)
    : BackgroundService
    where THandler : IQueueHandler<T>
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => ConsumeAsync(stoppingToken)));

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in client.Queue.ConsumeAsync<T>(settings.Topic, settings.Consume, stoppingToken).ConfigureAwait(false))
                {
                    await HandleAsync(message, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (DistSyncException ex)
            {
                LogConsumeFailed(settings.Topic, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(QueueMessage<T> message, CancellationToken stoppingToken)
    {
        using var handling = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var keepHidden = KeepHiddenAsync(message, handling.Token);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(message, stoppingToken).ConfigureAwait(false);
            await handling.CancelAsync().ConfigureAwait(false);
            await keepHidden.ConfigureAwait(false);
            await message.AckAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            await handling.CancelAsync().ConfigureAwait(false);
            await keepHidden.ConfigureAwait(false);
            LogHandlerFailed(ex, settings.Topic, message.Id, message.DeliveryCount);
            try
            {
                await message.NackAsync(settings.RetryDelayOf(message.DeliveryCount), stoppingToken).ConfigureAwait(false);
            }
            catch (DistSyncException nack)
            {
                LogNackFailed(settings.Topic, message.Id, nack.Message); // it comes back when its visibility ends
            }
        }
    }

    private async Task KeepHiddenAsync(QueueMessage<T> message, CancellationToken handling)
    {
        var visibility = settings.Consume.VisibilityTimeout ?? TimeSpan.FromSeconds(30);
        try
        {
            while (true)
            {
                await Task.Delay(visibility / 2, handling).ConfigureAwait(false);
                await message.ExtendAsync(visibility, handling).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The handler finished.
        }
        catch (DistSyncException ex)
        {
            LogExtendFailed(settings.Topic, message.Id, ex.Message);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Consuming {Topic} failed, trying again: {Reason}")]
    private partial void LogConsumeFailed(string topic, string reason);

    [LoggerMessage(2, LogLevel.Error, "Handling message {Id} of {Topic} (delivery {Delivery}) failed; it goes back to the queue")]
    private partial void LogHandlerFailed(Exception ex, string topic, string id, int delivery);

    [LoggerMessage(3, LogLevel.Warning, "Nack of message {Id} of {Topic} failed; it comes back when its visibility ends: {Reason}")]
    private partial void LogNackFailed(string topic, string id, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Keeping message {Id} of {Topic} hidden failed; another consumer may get it: {Reason}")]
    private partial void LogExtendFailed(string topic, string id, string reason);
}

/// <summary>One hosted consumer's topic, concurrency, consume options and the delay before a failed message comes back.</summary>
internal sealed record QueueConsumerSettings(string Topic, int Concurrency, ConsumeOptions Consume, TimeSpan RetryDelay)
{
    /// <summary>The longest delay the queue takes.</summary>
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(15);

    /// <summary>How long a message whose handler failed stays away: <see cref="RetryDelay"/>, doubled per delivery after the first.</summary>
    public TimeSpan RetryDelayOf(int deliveryCount)
    {
        var doublings = Math.Clamp(deliveryCount - 1, 0, 30);
        var delay = RetryDelay.TotalMilliseconds * Math.Pow(2, doublings);
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxDelay.TotalMilliseconds));
    }
}
