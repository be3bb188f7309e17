using System.Net;
using DistSync.AppHost.Dashboard;
using DistSync.AppHost.Dashboard.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace DistSync.Tests.Dashboard;

/// <summary>A started dashboard on free loopback ports, with a fake catalog and a logged-in client.</summary>
internal sealed class TestDashboard : IAsyncDisposable
{
    private TestDashboard(WebApplication app, FakeResourceCatalog catalog, DashboardEndpoints endpoints, HttpClient client, HttpClient anonymous)
    {
        App = app;
        Catalog = catalog;
        Endpoints = endpoints;
        Client = client;
        Anonymous = anonymous;
    }

    public WebApplication App { get; }

    public FakeResourceCatalog Catalog { get; }

    public DashboardEndpoints Endpoints { get; }

    /// <summary>Logged in through /login?t=…; follows redirects.</summary>
    public HttpClient Client { get; }

    /// <summary>No cookie, does not follow redirects.</summary>
    public HttpClient Anonymous { get; }

    public TelemetryStore Store => App.GetTelemetryStore();

    public static async Task<TestDashboard> StartAsync(Action<DashboardOptions>? configure = null, FakeResourceCatalog? catalog = null, ILoggerProvider? logs = null)
    {
        var options = new DashboardOptions { UiPort = 0, OtlpGrpcPort = 0, OtlpHttpPort = 0 };
        configure?.Invoke(options);
        catalog ??= new FakeResourceCatalog();
        var app = DashboardHost.Build(options, catalog, logs);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var endpoints = app.GetEndpoints();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = endpoints.UiUrl };
        if (options.RequireLogin)
        {
            using var login = await client.GetAsync(endpoints.LoginUrl, TestContext.Current.CancellationToken);
            login.EnsureSuccessStatusCode();
        }

        var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = endpoints.UiUrl };
        return new TestDashboard(app, catalog, endpoints, client, anonymous);
    }

    /// <summary>Waits (bounded) until the store satisfies the condition; the exporters deliver asynchronously.</summary>
    public async Task WaitForAsync(Func<TelemetryStore, bool> condition, string what)
    {
        using var changed = new SemaphoreSlim(0);
        void OnChanged(TelemetryKind kind) => changed.Release();
        Store.Changed += OnChanged;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!condition(Store))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    Assert.Fail($"Timed out waiting for {what}.");
                }

                await changed.WaitAsync(left, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            Store.Changed -= OnChanged;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
