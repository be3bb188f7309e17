using System.Security.Claims;

namespace DistSync.Node.Security;

/// <summary>What a request's principal is allowed, read off the claims the token handler put there.</summary>
public static class Principals
{
    public const string PrefixClaim = "distsync:prefix";

    /// <summary>The name auth gives every request when it is off.</summary>
    public const string Anonymous = "anonymous";

    public static ClaimsPrincipal Create(string name, Role role, IEnumerable<string> prefixes, string scheme) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, name),
                new Claim(ClaimTypes.Role, role.ToString().ToLowerInvariant()),
                .. prefixes.Select(p => new Claim(PrefixClaim, p)),
            ],
            scheme));

    public static string? NameOf(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name : null;

    public static Role? RoleOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && Enum.TryParse<Role>(user.FindFirstValue(ClaimTypes.Role), ignoreCase: true, out var role) ? role : null;

    public static IReadOnlyList<string> PrefixesOf(ClaimsPrincipal user) => [.. user.FindAll(PrefixClaim).Select(c => c.Value)];

    /// <summary>Whether the principal may name this resource, topic or key: always, unless its grant lists prefixes.</summary>
    public static bool MayName(ClaimsPrincipal user, string name)
    {
        var prefixes = PrefixesOf(user);
        return prefixes.Count == 0 || prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
    }
}
