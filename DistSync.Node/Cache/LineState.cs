namespace DistSync.Node.Cache;

/// <summary>
/// A cache line's MESI state on one node. <c>M</c>: this node alone holds it and wrote it (dirty under write-back);
/// <c>E</c>: this node alone holds it, unchanged; <c>S</c>: other nodes may hold it too, read-only; <c>I</c>: not held.
/// </summary>
public enum LineState
{
    I,
    S,
    E,
    M,
}
