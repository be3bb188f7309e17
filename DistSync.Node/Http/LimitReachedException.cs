namespace DistSync.Node.Http;

/// <summary>
/// A bound would be exceeded; nothing changed. Answered 409; <see cref="Limit"/> and <see cref="Max"/>, when given, name
/// the bound and its value in the problem (<c>limit</c>, <c>max</c>), so a client can tell which one it reached.
/// </summary>
public class LimitReachedException(string message, string? limit = null, long? max = null) : Exception(message)
{
    public string? Limit { get; } = limit;

    public long? Max { get; } = max;
}
