using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> against the configured tokens, compared in constant time by their SHA-256
/// (so neither a token's content nor its length leaks through timing). Refusals are problem+json, as every other error.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    TokenTable tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggers, encoder)
{
    public const string SchemeName = "DistSyncToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (tokens.Off)
        {
            return Task.FromResult(Success(Principals.Anonymous, Role.Admin, []));
        }

        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be 'Bearer <token>'."));
        }

        return Task.FromResult(tokens.Find(header[7..].Trim()) is { } grant
            ? Success(grant.Name, grant.Role, grant.Prefixes)
            : AuthenticateResult.Fail("The bearer token is not one this cluster knows."));
    }

    private AuthenticateResult Success(string name, Role role, IEnumerable<string> prefixes) =>
        AuthenticateResult.Success(new AuthenticationTicket(Principals.Create(name, role, prefixes, SchemeName), SchemeName));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await Context.AuthenticateAsync(SchemeName)).Failure?.Message;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteAsync(new ProblemDetails
        {
            Status = StatusCodes.Status401Unauthorized,
            Title = "Authentication required",
            Detail = failure ?? "This route needs 'Authorization: Bearer <token>' (run from the AppHost, the development tokens are in its user secrets: dotnet user-secrets list --project DistSync.AppHost).",
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Context.GetEndpoint()?.Metadata.GetMetadata<RoleRequirementMetadata>()?.Role;
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Forbidden",
            Detail = $"This token's role ({Principals.RoleOf(Context.User)?.ToString().ToLowerInvariant()}) may not call this route"
                + (needed is { } role ? $"; it needs {role.ToString().ToLowerInvariant()}." : "."),
        };
        if (needed is { } r)
        {
            problem.Extensions["required_role"] = r.ToString().ToLowerInvariant();
        }

        await WriteAsync(problem);
    }

    // A problem whatever the client's Accept says (the problem-details service writes nothing for Accept: text/html).
    private Task WriteAsync(ProblemDetails problem) => TypedResults.Problem(problem).ExecuteAsync(Context);
}

/// <summary>The configured tokens by the hash of their secret; a lookup touches every entry, found or not.</summary>
public sealed class TokenTable
{
    private readonly (byte[] Hash, NamedGrant Grant)[] _entries;
    private readonly Dictionary<string, int> _rates;
    private readonly int _defaultRate;

    public TokenTable(IOptions<AuthOptions> options)
    {
        Off = options.Value.Mode == AuthMode.Off;
        _defaultRate = options.Value.RequestsPerSecond;
        _entries = [.. options.Value.Tokens.Select(t => (Hash(t.Value.Secret), new NamedGrant(t.Key, t.Value.Role ?? Role.Reader, t.Value.Prefixes,
            t.Value.RequestsPerSecond ?? _defaultRate)))];
        _rates = _entries.ToDictionary(e => e.Grant.Name, e => e.Grant.RequestsPerSecond, StringComparer.Ordinal);
    }

    public bool Off { get; }

    public IEnumerable<NamedGrant> Grants => _entries.Select(e => e.Grant);

    public int RequestsPerSecondOf(string principal) => _rates.GetValueOrDefault(principal, _defaultRate);

    public NamedGrant? Find(string presented)
    {
        var hash = Hash(presented);
        NamedGrant? found = null;
        foreach (var (candidate, grant) in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate))
            {
                found = grant;
            }
        }

        return found;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}

public sealed record NamedGrant(string Name, Role Role, IReadOnlyList<string> Prefixes, int RequestsPerSecond);
