using Microsoft.Playwright;

namespace DistSync.Tests.Dashboard;

/// <summary>A browser context and its page; disposing closes them before the dashboard they poll goes away.</summary>
internal sealed class BrowserSession(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}
