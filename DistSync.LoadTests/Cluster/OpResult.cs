namespace DistSync.LoadTests.Cluster;

/// <summary>An operation's outcome; <see cref="Detail"/> (e.g. "409 busy", "503") groups refusals and failures in the report.</summary>
public readonly record struct OpResult(OpKind Kind, string? Detail)
{
    public static OpResult Ok { get; } = new(OpKind.Ok, null);

    public static OpResult Refused(string detail) => new(OpKind.Refused, detail);

    public static OpResult Failed(string detail) => new(OpKind.Failed, detail);
}
