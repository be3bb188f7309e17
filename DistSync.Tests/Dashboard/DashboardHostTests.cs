using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.AppHost.Dashboard;
using DistSync.AppHost.Protos.Collector.Logs;
using DistSync.AppHost.Protos.Common;
using DistSync.AppHost.Protos.Logs;
using Google.Protobuf;
using ProtoResource = DistSync.AppHost.Protos.Resource.Resource;

namespace DistSync.Tests.Dashboard;

public sealed class DashboardHostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_OnFreePorts_BindsThreeDistinctLoopbackPortsWithoutWarnings()
    {
        var logs = new CapturingLoggerProvider();
        await using var dashboard = await TestDashboard.StartAsync(logs: logs);

        var ports = new[] { dashboard.Endpoints.UiUrl.Port, dashboard.Endpoints.OtlpGrpcUrl.Port, dashboard.Endpoints.OtlpHttpUrl.Port };
        Assert.All(ports, p => Assert.NotEqual(0, p));
        Assert.Equal(3, ports.Distinct().Count());
        Assert.All(new[] { dashboard.Endpoints.UiUrl, dashboard.Endpoints.OtlpGrpcUrl, dashboard.Endpoints.OtlpHttpUrl }, u => Assert.Equal("127.0.0.1", u.Host));
        Assert.Equal(32, dashboard.Endpoints.OtlpApiKey.Length);
        Assert.Equal(32, dashboard.Endpoints.BrowserToken.Length);
        Assert.NotEqual(dashboard.Endpoints.OtlpApiKey, dashboard.Endpoints.BrowserToken);
        Assert.Empty(logs.Warnings);
    }

    [Fact]
    public void Build_InvalidOptions_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DashboardHost.Build(new DashboardOptions { MaxTraces = 0 }, new FakeResourceCatalog()));
        Assert.Throws<ArgumentOutOfRangeException>(() => DashboardHost.Build(new DashboardOptions { UiPort = 70_000 }, new FakeResourceCatalog()));
    }

    [Fact]
    public async Task Events_AfterTelemetryArrives_StreamsChangedNotification()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var response = await dashboard.Client.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        Assert.Equal("data: ready", await ReadDataLineAsync(reader));

        dashboard.Store.AddLogs([new(0, DateTimeOffset.UnixEpoch, "node1", "s", "information", 9, "hello", null, null, new Dictionary<string, string>())]);
        Assert.Equal("data: logs", await ReadDataLineAsync(reader));

        await dashboard.Catalog.RestartAsync("node1", Ct);
        Assert.Equal("data: resources", await ReadDataLineAsync(reader));
    }

    [Fact]
    public async Task HttpExport_GzipProtobuf_IsStored()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        var request = new ExportLogsServiceRequest();
        var resourceLogs = new ResourceLogs { Resource = new ProtoResource() };
        resourceLogs.Resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "redis" } });
        var scope = new ScopeLogs();
        scope.LogRecords.Add(new LogRecord { SeverityNumber = SeverityNumber.Error, Body = new AnyValue { StringValue = "compressed" }, TimeUnixNano = 1 });
        resourceLogs.ScopeLogs.Add(scope);
        request.ResourceLogs.Add(resourceLogs);
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            request.WriteTo(gzip);
        }

        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.Add("x-otlp-api-key", dashboard.Endpoints.OtlpApiKey);
        using var client = new HttpClient();
        using var response = await client.PostAsync(new Uri(dashboard.Endpoints.OtlpHttpUrl, "/v1/logs"), content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var logs = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/logs?resource=redis", Ct);
        var log = Assert.Single(logs.EnumerateArray());
        Assert.Equal("compressed", log.GetProperty("message").GetString());
        Assert.Equal("error", log.GetProperty("level").GetString());
    }

    [Fact]
    public async Task HttpExport_GarbageBody_Answers400AndStoresNothing()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var content = new ByteArrayContent([0xff, 0xff, 0xff, 0xff]);
        content.Headers.ContentType = new("application/x-protobuf");
        content.Headers.Add("x-otlp-api-key", dashboard.Endpoints.OtlpApiKey);
        using var client = new HttpClient();

        using var response = await client.PostAsync(new Uri(dashboard.Endpoints.OtlpHttpUrl, "/v1/traces"), content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, dashboard.Store.TraceCount);
    }

    private static async Task<string?> ReadDataLineAsync(StreamReader reader)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        // Bounded: an SSE event is a few lines ("event:", "data:", blank).
        for (var i = 0; i < 10; i++)
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            if (line is null || line.StartsWith("data:", StringComparison.Ordinal))
            {
                return line;
            }
        }

        return null;
    }
}
