using System.Text.Json;
using DistSync.LoadTests.Benchmarks;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.LoadTests;

/// <summary>The cache benchmark's yardstick answers exactly as many bytes of JSON as a hit does, with telemetry on or off.</summary>
public sealed class BareServerTests
{
    [Theory]
    [InlineData(24)]
    [InlineData(119)]
    [InlineData(4096)]
    public void Body_IsJsonOfTheAskedLength(int bytes)
    {
        var body = BareServer.Body(bytes);

        Assert.Equal(bytes, System.Text.Encoding.UTF8.GetByteCount(body));
        using var parsed = JsonDocument.Parse(body);
        Assert.Equal("ok", parsed.RootElement.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Server_AnswersTheBody_OnARealSocket(bool telemetry)
    {
        var port = BareServer.FreePort();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var server = BareServer.RunAsync(port, 119, telemetry, stop.Token);
        using var http = new HttpClient();
        var url = new Uri($"http://127.0.0.1:{port}/");
        string? answer = null;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                answer = await http.GetStringAsync(url, TestContext.Current.CancellationToken);
                return true;
            }
            catch (HttpRequestException)
            {
                return false; // not listening yet
            }
        }, TimeSpan.FromSeconds(30), "the bare server answers");

        Assert.Equal(BareServer.Body(119), answer);
        await stop.CancelAsync();
        await server;
    }
}
