namespace DistSync.Node.Locks;

/// <summary>What a <see cref="LockDeadline"/> ends.</summary>
internal enum LockDeadlineKind : byte
{
    Lease = 0,
    Wait = 1,
}
