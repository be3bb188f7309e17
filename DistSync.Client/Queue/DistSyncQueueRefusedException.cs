namespace DistSync.Client;

/// <summary>
/// An ack, nack or extend that did not apply to this delivery: <c>stale_receipt</c> (the message was delivered again since),
/// <c>not_in_flight</c> (it came back to the queue), or <c>not_found</c> (it was acked already).
/// </summary>
public sealed class DistSyncQueueRefusedException(string operation, string id, string status, string? detail)
    : DistSyncException($"{operation} of {id} refused: {status}{(detail is null ? "" : $" ({detail})")}")
{
    public string MessageId { get; } = id;

    public string Status { get; } = status;
}
