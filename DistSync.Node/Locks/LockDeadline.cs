namespace DistSync.Node.Locks;

/// <summary>
/// An entry of the table's deadline index, ordered by time, then kind (leases before waits), then resource
/// and client in ordinal order, so expiry processes due entries in one order on every node.
/// </summary>
internal readonly record struct LockDeadline(long AtMs, LockDeadlineKind Kind, string Resource, string ClientId)
    : IComparable<LockDeadline>
{
    public int CompareTo(LockDeadline other)
    {
        var c = AtMs.CompareTo(other.AtMs);
        if (c != 0)
        {
            return c;
        }

        c = Kind.CompareTo(other.Kind);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(Resource, other.Resource);
        return c != 0 ? c : string.CompareOrdinal(ClientId, other.ClientId);
    }
}
