using System.IO.Hashing;
using System.Text;

namespace DistSync.Node.Membership;

/// <summary>
/// Consistent hashing with virtual nodes (Karger et al. 1997; the vnode scheme of Dynamo and Cassandra): each
/// member owns the arcs ending at its points, so a member leaving hands only its own keys to the others, and
/// every node that holds the same member list computes the same owner for every key. Pure and immutable.
/// </summary>
public sealed class HashRing
{
    public const int DefaultVirtualNodes = 128;

    /// <summary>The hash of every point and key, by the name clients know it by: XxHash64 (seed 0) of the UTF-8 bytes.</summary>
    public const string HashName = "xxhash64";

    /// <summary>The string a member's point <c>index</c> (0 to the virtual nodes less one) is the hash of.</summary>
    public const string PointKeyFormat = "{node_id}#{index}";

    private readonly ulong[] _points;
    private readonly string[] _owners;

    public HashRing(IEnumerable<string> members, int virtualNodes = DefaultVirtualNodes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(virtualNodes);
        Members = [.. members.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var points = Members
            .SelectMany(m => Enumerable.Range(0, virtualNodes).Select(i => (Point: Hash(PointKey(m, i)), Member: m)))
            // A tie between two members' points (vanishingly rare with 64-bit hashes) goes to the smaller name.
            .OrderBy(p => p.Point).ThenBy(p => p.Member, StringComparer.Ordinal)
            .ToArray();
        _points = [.. points.Select(p => p.Point)];
        _owners = [.. points.Select(p => p.Member)];
    }

    /// <summary>The members, sorted.</summary>
    public IReadOnlyList<string> Members { get; }

    /// <summary>The member owning <paramref name="key"/>: the first point clockwise from the key's hash.</summary>
    public string OwnerOf(string key)
    {
        if (_points.Length == 0)
        {
            throw new InvalidOperationException("The ring has no members.");
        }

        var index = Array.BinarySearch(_points, Hash(key));
        if (index < 0)
        {
            index = ~index;
        }

        return _owners[index == _points.Length ? 0 : index];
    }

    /// <summary>What member <paramref name="member"/>'s point <paramref name="index"/> is the hash of (<see cref="PointKeyFormat"/>).</summary>
    public static string PointKey(string member, int index) => $"{member}#{index}";

    /// <summary>XxHash64 of the UTF-8 bytes: stable across processes, machines and .NET versions.</summary>
    public static ulong Hash(string value) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(value));
}
