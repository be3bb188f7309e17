using System.Security.Cryptography;
using System.Text;

namespace DistSync.AppHost.Dashboard.Auth;

/// <summary>
/// Browser login as Aspire's dashboard does it: a token printed by the AppHost is exchanged once
/// for a cookie. The cookie holds a hash of the token, never the token itself; SameSite=Strict keeps
/// other sites from riding on it to POST commands.
/// </summary>
internal sealed class BrowserAuth(DashboardState state)
{
    public const string CookieName = "distsync_dashboard";

    private readonly byte[] _cookieValue = Encoding.ASCII.GetBytes(Hash(state.BrowserToken));

    public bool Enabled => state.Options.RequireLogin;

    public bool IsValidToken(string? token) =>
        token is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(state.BrowserToken));

    public bool IsLoggedIn(HttpRequest request) =>
        !Enabled
        || (request.Cookies.TryGetValue(CookieName, out var value)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(value), _cookieValue));

    public void SignIn(HttpResponse response) =>
        response.Cookies.Append(CookieName, Encoding.ASCII.GetString(_cookieValue), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });

    public static void SignOut(HttpResponse response) => response.Cookies.Delete(CookieName, new CookieOptions { Path = "/" });

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("distsync-dashboard:" + token)));
}
