using System.Text;
using DistSync.Node.Http;

namespace DistSync.Node.Cache;

/// <summary>Every rule a cache request must meet, as (field, rule) so a 400 can name both.</summary>
public static class CacheValidator
{
    public const int MaxKeyBytes = 512;

    public const int MaxValueBytes = 1024 * 1024;

    /// <summary>A TTL of up to a year.</summary>
    public const double MaxTtlSec = 365 * 24 * 3600;

    public static FieldError? Key(string? key) =>
        string.IsNullOrEmpty(key) ? new("key", "is required")
        : Encoding.UTF8.GetByteCount(key) > MaxKeyBytes ? new("key", $"must be at most {MaxKeyBytes} bytes")
        : key.Any(char.IsControl) ? new("key", "must not contain control characters")
        : null;

    public static FieldError? Set(string? key, RawJson? value, double? ttlSec) =>
        Key(key)
        ?? (value is null ? new("value", "is required: any JSON value other than null (use /cache/delete to remove a key)")
        : Encoding.UTF8.GetByteCount(value.Value.Text) > MaxValueBytes ? new("value", $"must be at most {MaxValueBytes} bytes of JSON")
        : ttlSec is { } ttl && (!double.IsFinite(ttl) || ttl <= 0 || ttl > MaxTtlSec) ? new("ttl_sec", $"must be a number of seconds above 0 and at most {MaxTtlSec}")
        : null);

    /// <summary><c>?policy=</c>: <c>write-through</c> or <c>write-back</c>; none means the node's configured policy.</summary>
    public static FieldError? Policy(string? policy, CacheWritePolicy configured, out CacheWritePolicy parsed)
    {
        (parsed, var error) = policy switch
        {
            null or "" => (configured, null),
            "write-through" or "write_through" => (CacheWritePolicy.WriteThrough, null),
            "write-back" or "write_back" => (CacheWritePolicy.WriteBack, (FieldError?)null),
            _ => (configured, new FieldError("policy", "must be write-through or write-back")),
        };
        return error;
    }
}
