using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace DistSync.Tests.Dashboard;

public sealed class DashboardAuthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/resources")]
    [InlineData("/api/telemetry/traces")]
    [InlineData("/api/telemetry/logs")]
    [InlineData("/api/telemetry/metrics")]
    [InlineData("/api/console/node1")]
    public async Task Api_WithoutCookie_Answers401(string path)
    {
        await using var dashboard = await TestDashboard.StartAsync();

        using var response = await dashboard.Anonymous.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/traces")]
    [InlineData("/metrics")]
    [InlineData("/cluster")]
    public async Task Page_WithoutCookie_RedirectsToLogin(string path)
    {
        await using var dashboard = await TestDashboard.StartAsync();

        using var response = await dashboard.Anonymous.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Login_WithToken_SetsHttpOnlyCookieAndRedirectsHome()
    {
        await using var dashboard = await TestDashboard.StartAsync();

        using var response = await dashboard.Anonymous.GetAsync(dashboard.Endpoints.LoginUrl, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("distsync_dashboard=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(dashboard.Endpoints.BrowserToken, cookie, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/resources");
        request.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var api = await dashboard.Anonymous.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task Login_WithWrongToken_SetsNoCookie()
    {
        await using var dashboard = await TestDashboard.StartAsync();

        using var response = await dashboard.Anonymous.GetAsync("/login?t=not-the-token", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?error=1", response.Headers.Location?.OriginalString);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task LoginForm_WithToken_SetsCookie()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var form = new FormUrlEncodedContent([new("t", dashboard.Endpoints.BrowserToken)]);

        using var response = await dashboard.Anonymous.PostAsync("/login", form, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.True(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Api_RequireLoginOff_AnswersWithoutCookie()
    {
        await using var dashboard = await TestDashboard.StartAsync(o => o.RequireLogin = false);

        var resources = await dashboard.Anonymous.GetFromJsonAsync<JsonElement>("/api/resources", Ct);

        Assert.Equal(["redis", "node1", "node2"], resources.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task ConfiguredSecrets_AreUsedAsGiven()
    {
        await using var dashboard = await TestDashboard.StartAsync(o => { o.BrowserToken = "tok-1"; o.OtlpApiKey = "key-1"; });

        Assert.Equal("tok-1", dashboard.Endpoints.BrowserToken);
        Assert.Equal("key-1", dashboard.Endpoints.OtlpApiKey);
        Assert.Equal("x-otlp-api-key=key-1", dashboard.Endpoints.OtlpHeaders);
        Assert.EndsWith("/login?t=tok-1", dashboard.Endpoints.LoginUrl.ToString(), StringComparison.Ordinal);
    }
}
