using System.IO.Compression;
using DistSync.AppHost.Dashboard.Store;
using DistSync.AppHost.Protos.Collector.Logs;
using DistSync.AppHost.Protos.Collector.Metrics;
using DistSync.AppHost.Protos.Collector.Trace;
using Google.Protobuf;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>OTLP/HTTP receiver: POST /v1/traces, /v1/metrics, /v1/logs with protobuf or JSON bodies.</summary>
internal static class OtlpHttpApi
{
    private const long MaxBodyBytes = 32 * 1024 * 1024;

    public static IEndpointRouteBuilder MapOtlpHttpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/traces", (HttpContext http, TelemetryStore store, OtlpApiKey key) =>
            ExportAsync<ExportTraceServiceRequest>(http, key, r => store.AddSpans(OtlpConverter.ToSpans(r)), new ExportTraceServiceResponse()))
            .WithName("OtlpHttpTraces");
        app.MapPost("/v1/logs", (HttpContext http, TelemetryStore store, OtlpApiKey key) =>
            ExportAsync<ExportLogsServiceRequest>(http, key, r => store.AddLogs(OtlpConverter.ToLogs(r)), new ExportLogsServiceResponse()))
            .WithName("OtlpHttpLogs");
        app.MapPost("/v1/metrics", (HttpContext http, TelemetryStore store, OtlpApiKey key) =>
            ExportAsync<ExportMetricsServiceRequest>(http, key, r => store.AddMetrics(OtlpConverter.ToMetrics(r)), new ExportMetricsServiceResponse()))
            .WithName("OtlpHttpMetrics");
        return app;
    }

    private static async Task<IResult> ExportAsync<TRequest>(HttpContext http, OtlpApiKey key, Action<TRequest> ingest, IMessage response)
        where TRequest : IMessage<TRequest>, new()
    {
        if (!key.IsValid(http.Request.Headers[OtlpApiKey.HeaderName]))
        {
            return TypedResults.Problem($"Missing or wrong {OtlpApiKey.HeaderName} header.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var contentType = http.Request.ContentType ?? "";
        var isJson = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);
        if (!isJson && !contentType.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem("Content-Type must be application/x-protobuf or application/json.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return TypedResults.Problem($"The body is larger than {MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(http.Request, http.RequestAborted);
        }
        catch (InvalidDataException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        TRequest request;
        try
        {
            request = isJson
                ? OtlpJson.Parse<TRequest>(System.Text.Encoding.UTF8.GetString(body))
                : new MessageParser<TRequest>(() => new TRequest()).ParseFrom(body);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or FormatException or System.Text.Json.JsonException or InvalidJsonException)
        {
            return TypedResults.Problem($"The body is not a valid OTLP {typeof(TRequest).Name}: {ex.Message}", statusCode: StatusCodes.Status400BadRequest);
        }

        ingest(request);
        return isJson
            ? TypedResults.Text(JsonFormatter.Default.Format(response), "application/json")
            : TypedResults.Bytes(response.ToByteArray(), "application/x-protobuf");
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding is not ("" or "identity" or "gzip"))
        {
            throw new InvalidDataException($"Content-Encoding '{encoding}' is not supported (gzip or none).");
        }

        // Only the decompressing wrapper is ours to dispose; the request body belongs to Kestrel.
        var gzip = encoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : null;
        try
        {
            var source = gzip ?? request.Body;
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await source.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    throw new InvalidDataException($"The body is larger than {MaxBodyBytes} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        finally
        {
            if (gzip is not null)
            {
                await gzip.DisposeAsync();
            }
        }
    }
}
