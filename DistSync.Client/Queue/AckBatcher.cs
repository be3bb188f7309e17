using System.Collections.Concurrent;

namespace DistSync.Client;

/// <summary>
/// Acks, grouped: the first ack of a topic goes out at once; acks made while it is on its way go out together in the next
/// <c>ack_batch</c> (up to 100). One consumer acking one at a time pays no wait; many acking at once share requests.
/// </summary>
internal sealed class AckBatcher(NodeTransport transport, Router router)
{
    private const int MaxBatch = 100;
    private readonly ConcurrentDictionary<string, TopicAcks> _topics = new(StringComparer.Ordinal);

    public Task AckAsync(string topic, int partition, string id, string receipt, CancellationToken cancellationToken) =>
        _topics.GetOrAdd(topic, t => new TopicAcks(t, transport, router)).AckAsync(partition, id, receipt, cancellationToken);

    private sealed record PendingAck(int Partition, string Id, string Receipt)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class TopicAcks(string topic, NodeTransport transport, Router router)
    {
        private readonly Lock _gate = new();
        private List<PendingAck> _pending = [];
        private bool _sending;

        public Task AckAsync(int partition, string id, string receipt, CancellationToken cancellationToken)
        {
            var ack = new PendingAck(partition, id, receipt);
            bool start;
            lock (_gate)
            {
                _pending.Add(ack);
                start = !_sending;
                _sending = true;
            }

            if (start)
            {
                _ = Task.Run(SendAllAsync, CancellationToken.None);
            }

            return ack.Done.Task.WaitAsync(cancellationToken);
        }

        private async Task SendAllAsync()
        {
            while (true)
            {
                List<PendingAck> batch;
                lock (_gate)
                {
                    if (_pending.Count == 0)
                    {
                        _sending = false;
                        return;
                    }

                    batch = _pending.Count <= MaxBatch ? _pending : _pending[..MaxBatch];
                    _pending = _pending.Count <= MaxBatch ? [] : _pending[MaxBatch..];
                }

                await SendAsync(batch).ConfigureAwait(false);
            }
        }

        private async Task SendAsync(List<PendingAck> batch)
        {
            using var activity = DistSyncTelemetry.Start("queue.ack", topic);
            activity?.SetTag("distsync.batch_size", batch.Count);
            try
            {
                // Not the callers' tokens: an ack on its way is finished for all who share the request.
                var answer = await transport.SendAsync(HttpMethod.Post, "/queue/ack_batch", new
                {
                    topic,
                    messages = batch.Select(a => new { id = a.Id, receipt = a.Receipt }).ToList(),
                    request_id = DistSyncQueue.NewRequestId(),
                }, Retry.Safe, "queue.ack", CancellationToken.None,
                    // The owner of the batch's most common partition: it answers those itself and forwards the rest.
                    await router.OwnerAsync(topic, batch.GroupBy(a => a.Partition).MaxBy(g => g.Count())!.Key, CancellationToken.None).ConfigureAwait(false))
                    .ConfigureAwait(false);
                var results = answer.Body.GetProperty("messages").EnumerateArray().ToList();
                for (var i = 0; i < batch.Count; i++)
                {
                    var status = i < results.Count ? NodeTransport.Text(results[i], "status") : null;
                    if (status == "acked")
                    {
                        batch[i].Done.TrySetResult();
                    }
                    else
                    {
                        batch[i].Done.TrySetException(new DistSyncQueueRefusedException("ack", batch[i].Id, status ?? "no answer", null));
                    }
                }
            }
            catch (Exception ex)
            {
                foreach (var ack in batch)
                {
                    ack.Done.TrySetException(ex);
                }
            }
        }
    }
}
