namespace DistSync.Client;

/// <summary>Many shared holders at once, or one exclusive holder alone.</summary>
public enum LockMode
{
    Exclusive,
    Shared,
}
