namespace DistSync.Node.Security;

/// <summary>Who may call the public API: bearer tokens with a role each, or nobody checked at all (an explicit choice).</summary>
public enum AuthMode
{
    Tokens,
    Off,
}

/// <summary>The <c>DistSync:Auth</c> section (environment: <c>DistSync__Auth__Tokens__ci__Secret=…</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "DistSync:Auth";

    /// <summary><c>Tokens</c> (the default) or <c>Off</c>: every request is then an admin, and the node warns at start.</summary>
    public AuthMode Mode { get; set; } = AuthMode.Tokens;

    /// <summary>Keyed by the principal's name, which is what the audit log records (never the secret).</summary>
    public Dictionary<string, TokenGrant> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Requests per second one token may make to one node (a token bucket of that size); a grant may set its own. The
    /// default is above what a node serves of its cheapest request on a small machine (about 6,000 cache hits a second
    /// on 2 cores), so the instances of one app sharing a token meet the node's own limit first; it stops one token
    /// from taking more than that from the others on bigger machines. Lower it per grant for untrusted callers.
    /// </summary>
    public int RequestsPerSecond { get; set; } = 20_000;

    /// <summary>Requests one token may have waiting at once on one node (a lock acquire with wait_ms, a consume with wait_sec).</summary>
    public int MaxBlockingWaits { get; set; } = 256;

    /// <summary>The settings a node cannot run with, each said as what to change; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (Mode == AuthMode.Tokens && Tokens.Count == 0)
        {
            yield return "DistSync:Auth:Tokens is empty: configure at least one token (DistSync__Auth__Tokens__<name>__Secret and __Role), "
                + "or run without authentication with DistSync__Auth__Mode=Off (development only).";
        }

        if (RequestsPerSecond < 1 || MaxBlockingWaits < 1)
        {
            yield return "DistSync:Auth:RequestsPerSecond and MaxBlockingWaits must be at least 1.";
        }

        foreach (var (name, grant) in Tokens)
        {
            if (string.IsNullOrEmpty(grant.Secret) || grant.Secret.Length < 16)
            {
                yield return $"DistSync:Auth:Tokens:{name}:Secret must be at least 16 characters.";
            }

            if (grant.Role is null)
            {
                yield return $"DistSync:Auth:Tokens:{name}:Role must be reader, writer or admin.";
            }

            if (grant.RequestsPerSecond is < 1)
            {
                yield return $"DistSync:Auth:Tokens:{name}:RequestsPerSecond must be at least 1.";
            }
        }

        foreach (var shared in Tokens.GroupBy(t => t.Value.Secret, StringComparer.Ordinal).Where(g => g.Count() > 1 && !string.IsNullOrEmpty(g.Key)))
        {
            yield return $"DistSync:Auth:Tokens {string.Join(" and ", shared.Select(t => t.Key))} share one secret: each principal needs its own.";
        }
    }
}

/// <summary>One token: its secret, its role, and optionally the name prefixes it is limited to.</summary>
public sealed class TokenGrant
{
    public string Secret { get; set; } = "";

    public Role? Role { get; set; }

    /// <summary>When set, only lock resources, topics and cache keys starting with one of these (<c>billing/</c>); empty means all.</summary>
    public List<string> Prefixes { get; set; } = [];

    public int? RequestsPerSecond { get; set; }
}

/// <summary>Each role can do what the roles below it can.</summary>
public enum Role
{
    /// <summary>State, get, stats: nothing that changes anything.</summary>
    Reader = 1,

    /// <summary>Locks, queue and cache operations.</summary>
    Writer = 2,

    /// <summary>Leadership transfer, dead-letter redrive, cluster operations.</summary>
    Admin = 3,
}
