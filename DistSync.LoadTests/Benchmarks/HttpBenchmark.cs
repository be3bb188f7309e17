using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using DistSync.LoadTests.Cli;
using DistSync.LoadTests.Cluster;
using DistSync.LoadTests.Reports;

namespace DistSync.LoadTests.Benchmarks;

/// <summary>
/// The original system's benchmark: N requests at concurrency C against one URL (GET, or POST with a
/// JSON body), reporting successes, failures, latency percentiles, total time and throughput.
/// </summary>
public static class HttpBenchmark
{
    public static async Task<LatencySummary> RunAsync(Uri url, int requests, int concurrency, string method, string? body, TimeSpan maxDuration, RunRecorder? recorder = null)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        ApiToken.Apply(http);
        var payload = body is null ? null : Encoding.UTF8.GetBytes(body);
        return await LoadRunner.RunAsync($"{method} {url}", requests, concurrency, maxDuration, async (_, ct) =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (payload is not null)
            {
                request.Content = new ByteArrayContent(payload) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            }

            using var response = await http.SendAsync(request, ct);
            return response.IsSuccessStatusCode ? OpResult.Ok : OpResult.Failed(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        }, recorder);
    }
}
