namespace DistSync.Node.Locks;

/// <summary>The commands a request id may name; one id is never reused for another kind.</summary>
internal enum LockRequestKind : byte
{
    Acquire = 1,
    Release = 2,
    Renew = 3,
}
