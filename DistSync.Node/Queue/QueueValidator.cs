using System.Text;
using DistSync.Node.Http;

namespace DistSync.Node.Queue;

/// <summary>Every rule a queue request must meet, as (field, rule) so a 400 can name both.</summary>
public static class QueueValidator
{
    public static FieldError? Topic(string? topic)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return new("topic", "is required");
        }

        if (Encoding.UTF8.GetByteCount(topic) > QueueLimits.MaxTopicBytes)
        {
            return new("topic", $"must be at most {QueueLimits.MaxTopicBytes} bytes");
        }

        // Braces would break the partition keys' Redis Cluster hash tag; spaces and control characters a log line.
        return topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '/')
            ? null
            : new("topic", "may contain only letters, digits and . _ - : /");
    }

    public static FieldError? Message(string prefix, RawJson? payload, string? key, string? dedupId, double? delaySec) =>
        payload is null ? new($"{prefix}payload", "is required: any JSON value other than null")
        : Encoding.UTF8.GetByteCount(payload.Value.Text) > QueueLimits.MaxPayloadBytes ? new($"{prefix}payload", $"must be at most {QueueLimits.MaxPayloadBytes} bytes of JSON")
        : key is not null && (key.Length == 0 || Encoding.UTF8.GetByteCount(key) > QueueLimits.MaxKeyBytes) ? new($"{prefix}key", $"must be 1 to {QueueLimits.MaxKeyBytes} bytes")
        : dedupId is not null && (dedupId.Length == 0 || Encoding.UTF8.GetByteCount(dedupId) > QueueLimits.MaxDedupIdBytes) ? new($"{prefix}dedup_id", $"must be 1 to {QueueLimits.MaxDedupIdBytes} bytes")
        : Seconds($"{prefix}delay_sec", delaySec, QueueLimits.MaxDelaySec);

    public static FieldError? TopicSettings(int? partitions, int? maxDeliveries) =>
        partitions is < 1 or > QueueLimits.MaxPartitions ? new("partitions", $"must be between 1 and {QueueLimits.MaxPartitions}")
        : maxDeliveries is < 1 or > 1000 ? new("max_deliveries", "must be between 1 and 1000")
        : null;

    public static FieldError? Consume(double? visibilityTimeoutSec, double? waitSec, int? maxMessages, string? requestId = null, int? attempt = null) =>
        Seconds("visibility_timeout_sec", visibilityTimeoutSec, QueueLimits.MaxVisibilityTimeoutSec)
        ?? Seconds("wait_sec", waitSec, QueueLimits.MaxWaitSec)
        ?? (maxMessages is < 1 or > QueueLimits.MaxBatch ? new FieldError("max_messages", $"must be between 1 and {QueueLimits.MaxBatch}") : null)
        ?? RequestId(requestId)
        ?? (attempt is < 1 ? new FieldError("attempt", "must be 1 or more") : null)
        ?? (attempt is not null && requestId is null ? new FieldError("attempt", "numbers the tries of a request_id: give the request_id too") : null);

    /// <summary>Optional; when given, 1 to 128 bytes without control characters (it names the request in Redis).</summary>
    public static FieldError? RequestId(string? requestId) =>
        requestId is not null && (requestId.Length == 0 || Encoding.UTF8.GetByteCount(requestId) > QueueLimits.MaxRequestIdBytes || requestId.Any(char.IsControl))
            ? new FieldError("request_id", $"must be 1 to {QueueLimits.MaxRequestIdBytes} bytes, without control characters")
            : null;

    public static FieldError? Batch(string field, int? count) =>
        count is null or 0 ? new(field, "must hold at least one message")
        : count > QueueLimits.MaxBatch ? new(field, $"must hold at most {QueueLimits.MaxBatch} messages")
        : null;

    /// <summary>The id names its partition, so a malformed one is refused before any node is asked.</summary>
    public static FieldError? Id(string field, string? id, string? receipt, int partitions, out long? delivery)
    {
        delivery = null;
        if (string.IsNullOrEmpty(id))
        {
            return new(field, "is required");
        }

        if (!QueueRing.TryPartitionOfId(id, partitions, out _))
        {
            return new(field, "is not a message id of this topic");
        }

        if (receipt is null)
        {
            return null;
        }

        if (!Receipts.TryParse(receipt, out var receiptId, out var n) || receiptId != id)
        {
            return new("receipt", "is not a receipt of this message (as consume returned it)");
        }

        delivery = n;
        return null;
    }

    public static FieldError? Seconds(string field, double? value, int max) =>
        value is null ? null
        : double.IsNaN(value.Value) || value < 0 || value > max ? new(field, $"must be between 0 and {max}")
        : null;
}
