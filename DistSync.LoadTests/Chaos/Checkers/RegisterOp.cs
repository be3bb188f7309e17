namespace DistSync.LoadTests.Chaos.Checkers;

/// <summary>
/// One operation on one key, as a client saw it: invoked at <see cref="Invoked"/>, answered at <see cref="Completed"/>
/// (<see cref="long.MaxValue"/> when the outcome is unknown: it may take effect at any time after its invocation, or
/// never). A read's <see cref="Value"/> is what it returned; a write's, what it wrote (null: a delete).
/// </summary>
public sealed record RegisterOp(string Client, string Key, bool IsWrite, string? Value, long Invoked, long Completed)
{
    public bool Unknown => Completed == long.MaxValue;

    public override string ToString() =>
        $"{Client} {(IsWrite ? "write" : "read")} {Key}={Value ?? "null"} [{Invoked}, {(Unknown ? "?" : Completed.ToString(System.Globalization.CultureInfo.InvariantCulture))}]";
}
