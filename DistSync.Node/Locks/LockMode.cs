namespace DistSync.Node.Locks;

/// <summary>How a lock is held. The byte values are part of the log and snapshot formats.</summary>
public enum LockMode : byte
{
    /// <summary>Many shared holders may hold a resource together.</summary>
    Shared = 1,

    /// <summary>An exclusive holder holds a resource alone.</summary>
    Exclusive = 2,
}
