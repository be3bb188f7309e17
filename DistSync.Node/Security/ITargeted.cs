namespace DistSync.Node.Security;

/// <summary>A request body that names what it acts on: a lock resource, a queue topic or a cache key.</summary>
public interface ITargeted
{
    string? Target { get; }
}
