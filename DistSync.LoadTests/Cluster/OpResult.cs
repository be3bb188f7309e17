namespace DistSync.LoadTests.Cluster;

/// <summary>An operation's outcome; <see cref="Detail"/> (e.g. "409 busy", "503") groups refusals and failures in the report.</summary>
public readonly record struct OpResult(OpKind Kind, string? Detail)
{
    /// <summary>How much of a message names a failure: enough to tell causes apart, short enough for a table.</summary>
    public const int MaxDetailLength = 100;

    public static OpResult Ok { get; } = new(OpKind.Ok, null);

    public static OpResult Refused(string detail) => new(OpKind.Refused, detail);

    public static OpResult Failed(string detail) => new(OpKind.Failed, detail);

    /// <summary>A message cut to <see cref="MaxDetailLength"/> characters (and an ellipsis).</summary>
    public static string Shorten(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Length <= MaxDetailLength ? message : message[..MaxDetailLength] + "…";
    }
}
