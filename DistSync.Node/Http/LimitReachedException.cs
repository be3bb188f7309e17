namespace DistSync.Node.Http;

/// <summary>A configured bound would be exceeded; nothing changed. Answered 409.</summary>
public class LimitReachedException(string message) : Exception(message);
