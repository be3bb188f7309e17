using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DistSync.Tests.Dashboard;

/// <summary>Feeds the receiver what the real OpenTelemetry .NET exporter sends, over gRPC and HTTP/protobuf.</summary>
public sealed class OtlpReceiverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task Export_Traces_AppearInTraceApiWithSpansAttributesAndEvents(OtlpExportProtocol protocol)
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var source = new ActivitySource("DistSync.Consensus");
        string traceId;
        using (var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("node7"))
            .AddSource(source.Name)
            .AddOtlpExporter(o => OtlpExporters.Configure(o, dashboard.Endpoints, protocol, "/v1/traces"))
            .Build())
        {
            using (var election = source.StartActivity("raft.election"))
            {
                Assert.NotNull(election);
                traceId = election.TraceId.ToHexString();
                election.SetTag("distsync.node.id", "node7");
                election.SetTag("raft.term", 4L);
                election.AddEvent(new ActivityEvent("vote.granted", tags: new ActivityTagsCollection { ["voter"] = "node2" }));
                using var request = source.StartActivity("raft.request_vote");
                request?.SetStatus(ActivityStatusCode.Error, "peer down");
            }

            Assert.True(tracer.ForceFlush(10_000));
        }

        var traces = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/traces?name=raft.election", Ct);
        var trace = Assert.Single(traces.EnumerateArray());
        Assert.Equal(traceId, trace.GetProperty("trace_id").GetString());
        Assert.Equal("raft.election", trace.GetProperty("name").GetString());
        Assert.True(trace.GetProperty("has_error").GetBoolean());
        var spans = trace.GetProperty("spans").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(2, spans.Count);
        var root = spans["raft.election"];
        Assert.Equal("node7", root.GetProperty("resource").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("parent_span_id").ValueKind);
        Assert.Equal("node7", root.GetProperty("attributes").GetProperty("distsync.node.id").GetString());
        Assert.Equal("4", root.GetProperty("attributes").GetProperty("raft.term").GetString());
        var vote = root.GetProperty("events").EnumerateArray().Single();
        Assert.Equal("vote.granted", vote.GetProperty("name").GetString());
        Assert.Equal("node2", vote.GetProperty("attributes").GetProperty("voter").GetString());
        var child = spans["raft.request_vote"];
        Assert.Equal(root.GetProperty("span_id").GetString(), child.GetProperty("parent_span_id").GetString());
        Assert.Equal("error", child.GetProperty("status").GetString());
        Assert.Equal("peer down", child.GetProperty("status_message").GetString());
        Assert.True(child.GetProperty("duration_ms").GetDouble() >= 0);

        var byId = await dashboard.Client.GetFromJsonAsync<JsonElement>($"/api/telemetry/traces/{traceId}", Ct);
        Assert.Equal(2, byId.GetProperty("span_count").GetInt32());
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task Export_Logs_AppearInLogApiWithLevelAttributesAndTraceId(OtlpExportProtocol protocol)
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var source = new ActivitySource("DistSync.Locks");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        string traceId;
        using (var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("node3"));
            otel.IncludeFormattedMessage = true;
            otel.AddOtlpExporter(o => OtlpExporters.Configure(o, dashboard.Endpoints, protocol, "/v1/logs"));
        })))
        {
            var logger = factory.CreateLogger("DistSync.Locks.LockTable");
            using (var activity = source.StartActivity("lock.acquire"))
            {
                traceId = activity!.TraceId.ToHexString();
#pragma warning disable CA1848, CA2254 // A test logs the way any caller does.
                logger.LogWarning("Lock {LockResource} waited {WaitMs} ms", "orders", 42);
            }

            logger.LogInformation("Granted {LockResource}", "stock");
#pragma warning restore CA1848, CA2254
        } // Disposing the factory shuts the exporter down, which exports what is pending.

        var warnings = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/logs?level=warning", Ct);
        var warning = Assert.Single(warnings.EnumerateArray());
        Assert.Equal("warning", warning.GetProperty("level").GetString());
        Assert.Equal("node3", warning.GetProperty("resource").GetString());
        Assert.Equal("Lock orders waited 42 ms", warning.GetProperty("message").GetString());
        Assert.Equal("orders", warning.GetProperty("attributes").GetProperty("LockResource").GetString());
        Assert.Equal(traceId, warning.GetProperty("trace_id").GetString());

        var all = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/logs", Ct);
        Assert.Equal(2, all.GetArrayLength());
        var byAttribute = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/logs?attr=LockResource=stock", Ct);
        Assert.Equal("Granted stock", Assert.Single(byAttribute.EnumerateArray()).GetProperty("message").GetString());
        var byText = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/logs?q=WAITED", Ct);
        Assert.Single(byText.EnumerateArray());
        var byTrace = await dashboard.Client.GetFromJsonAsync<JsonElement>($"/api/telemetry/logs?trace_id={traceId}", Ct);
        Assert.Single(byTrace.EnumerateArray());
    }

    [Fact]
    public async Task Export_LogsWithoutFormattedMessage_ShowTemplateFilledFromAttributes()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using (var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(otel =>
        {
            otel.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("node1"));
            otel.IncludeFormattedMessage = false;
            otel.AddOtlpExporter(o => OtlpExporters.Configure(o, dashboard.Endpoints, OtlpExportProtocol.Grpc, "/v1/logs"));
        })))
        {
#pragma warning disable CA1848, CA2254 // A test logs the way any caller does.
            factory.CreateLogger("DistSync.Consensus").LogInformation("Became {Role} for term {Term:D}", "leader", 5);
#pragma warning restore CA1848, CA2254
        }

        var logs = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/logs", Ct);

        Assert.Equal("Became leader for term 5", Assert.Single(logs.EnumerateArray()).GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task Export_Metrics_AppearInMetricsApiWithUnitsAndDimensions(OtlpExportProtocol protocol)
    {
        await using var dashboard = await TestDashboard.StartAsync();
        // A meter name of its own: listeners subscribe by name process-wide, and another test running in
        // parallel with a "DistSync.Cache" meter would add its measurements to this one's.
        using var meter = new Meter($"DistSync.Cache.{Guid.NewGuid():n}");
        var hits = meter.CreateCounter<long>("distsync.cache.hits", "{hit}", "Reads served from the local cache.");
        var wait = meter.CreateHistogram<double>("distsync.lock.wait.duration", "ms");
        using (var meters = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("node2"))
            .AddMeter(meter.Name)
            .AddOtlpExporter(o => OtlpExporters.Configure(o, dashboard.Endpoints, protocol, "/v1/metrics"))
            .Build())
        {
            hits.Add(5, new KeyValuePair<string, object?>("state", "S"));
            hits.Add(2, new KeyValuePair<string, object?>("state", "M"));
            wait.Record(12.5);
            wait.Record(30);
            Assert.True(meters.ForceFlush(10_000));
        }

        var instruments = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/metrics?resource=node2", Ct);
        var byName = instruments.EnumerateArray().ToDictionary(i => i.GetProperty("instrument").GetProperty("name").GetString()!);
        var counter = byName["distsync.cache.hits"];
        Assert.Equal("{hit}", counter.GetProperty("instrument").GetProperty("unit").GetString());
        Assert.Equal("Reads served from the local cache.", counter.GetProperty("instrument").GetProperty("description").GetString());
        Assert.Equal("sum", counter.GetProperty("instrument").GetProperty("kind").GetString());
        var latest = counter.GetProperty("latest").EnumerateArray()
            .ToDictionary(s => s.GetProperty("attributes").GetProperty("state").GetString()!, s => s.GetProperty("points")[0].GetProperty("value").GetDouble());
        Assert.Equal(5, latest["S"]);
        Assert.Equal(2, latest["M"]);

        var histogram = byName["distsync.lock.wait.duration"].GetProperty("latest")[0].GetProperty("points")[0];
        Assert.Equal(2, histogram.GetProperty("count").GetInt64());
        Assert.Equal(42.5, histogram.GetProperty("sum").GetDouble());

        var series = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/metrics/series?resource=node2&name=distsync.cache.hits&state=M", Ct);
        Assert.Equal(["M", "S"], series.GetProperty("dimensions").GetProperty("state").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("M", Assert.Single(series.GetProperty("series").EnumerateArray()).GetProperty("attributes").GetProperty("state").GetString());
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task Export_WrongApiKey_IsRefusedAndNothingStored(OtlpExportProtocol protocol)
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var source = new ActivitySource("DistSync.Queue");
        using (var tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(source.Name)
            .AddOtlpExporter(o => OtlpExporters.Configure(o, dashboard.Endpoints, protocol, "/v1/traces", apiKey: "wrong-key"))
            .Build())
        {
            source.StartActivity("queue.publish")?.Dispose();
            tracer.ForceFlush(10_000);
        }

        Assert.Equal(0, dashboard.Store.TraceCount);
    }

    [Fact]
    public async Task GrpcExport_WithoutApiKey_AnswersUnauthenticated()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var client = new HttpClient();
        // An empty ExportTraceServiceRequest in a gRPC frame: no compression flag, zero length.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(dashboard.Endpoints.OtlpGrpcUrl, "/opentelemetry.proto.collector.trace.v1.TraceService/Export"))
        {
            Content = new ByteArrayContent(new byte[5]),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using var response = await client.SendAsync(request, Ct);
        await response.Content.ReadAsByteArrayAsync(Ct);

        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) ? values.Single()
            : response.Headers.GetValues("grpc-status").Single();
        Assert.Equal("16", status); // UNAUTHENTICATED
    }

    [Fact]
    public async Task HttpExport_WithoutApiKey_Answers401()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var client = new HttpClient();
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new("application/x-protobuf");

        using var response = await client.PostAsync(new Uri(dashboard.Endpoints.OtlpHttpUrl, "/v1/traces"), content, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task HttpExport_Json_IsParsedWithHexIds()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        const string body = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"node9"}}]},
              "scopeSpans":[{"scope":{"name":"DistSync.Cache"},"spans":[{
                "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"",
                "name":"cache.invalidate","kind":3,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
                "attributes":[{"key":"peer","value":{"stringValue":"node1"}},{"key":"attempt","value":{"intValue":"2"}}],
                "status":{"code":2}}]}]}]}
            """;
        using var client = new HttpClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        content.Headers.Add("x-otlp-api-key", dashboard.Endpoints.OtlpApiKey);

        using var response = await client.PostAsync(new Uri(dashboard.Endpoints.OtlpHttpUrl, "/v1/traces"), content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var trace = await dashboard.Client.GetFromJsonAsync<JsonElement>("/api/telemetry/traces/5b8efff798038103d269b633813fc60c", Ct);
        var span = Assert.Single(trace.GetProperty("spans").EnumerateArray());
        Assert.Equal("eee19b7ec3c1b174", span.GetProperty("span_id").GetString());
        Assert.Equal("node9", span.GetProperty("resource").GetString());
        Assert.Equal("client", span.GetProperty("kind").GetString());
        Assert.Equal(1000, span.GetProperty("duration_ms").GetDouble());
        Assert.Equal("2", span.GetProperty("attributes").GetProperty("attempt").GetString());
        Assert.Equal("error", span.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OtlpPath_OnUiPort_Answers404()
    {
        await using var dashboard = await TestDashboard.StartAsync();
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new("application/x-protobuf");
        content.Headers.Add("x-otlp-api-key", dashboard.Endpoints.OtlpApiKey);

        using var response = await dashboard.Client.PostAsync("/v1/traces", content, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
