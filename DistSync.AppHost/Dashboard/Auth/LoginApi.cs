using DistSync.AppHost.Dashboard.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DistSync.AppHost.Dashboard.Auth;

/// <summary>GET /login?t=token and POST /login (form field t) exchange the token for the cookie.</summary>
internal static class LoginApi
{
    public static IEndpointRouteBuilder MapLoginApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login", LoginWithQuery).WithName("Login").WithSummary("Log in with the browser token, or show the login form.");
        app.MapPost("/login", LoginWithForm).WithName("LoginForm").DisableAntiforgery();
        app.MapPost("/logout", Logout).WithName("Logout").DisableAntiforgery();
        return app;
    }

    private static Results<RedirectHttpResult, FileContentHttpResult> LoginWithQuery(HttpContext http, BrowserAuth auth, [FromQuery(Name = "t")] string? token) =>
        token is null ? PagesApi.Page("login.html") : SignIn(http, auth, token);

    private static Results<RedirectHttpResult, FileContentHttpResult> LoginWithForm(HttpContext http, BrowserAuth auth, [FromForm(Name = "t")] string? token) =>
        SignIn(http, auth, token);

    private static RedirectHttpResult Logout(HttpContext http)
    {
        BrowserAuth.SignOut(http.Response);
        return TypedResults.Redirect("/login");
    }

    private static Results<RedirectHttpResult, FileContentHttpResult> SignIn(HttpContext http, BrowserAuth auth, string? token)
    {
        if (!auth.IsValidToken(token?.Trim()))
        {
            return TypedResults.Redirect("/login?error=1");
        }

        auth.SignIn(http.Response);
        return TypedResults.Redirect("/");
    }
}
