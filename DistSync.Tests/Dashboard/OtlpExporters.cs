using DistSync.AppHost.Dashboard;
using OpenTelemetry.Exporter;

namespace DistSync.Tests.Dashboard;

/// <summary>Configures the real OpenTelemetry .NET OTLP exporter to send to a test dashboard.</summary>
internal static class OtlpExporters
{
    public static void Configure(OtlpExporterOptions exporter, DashboardEndpoints endpoints, OtlpExportProtocol protocol, string signalPath, string? apiKey = null)
    {
        exporter.Protocol = protocol;
        // Set in code, the HTTP endpoint is used as is, so it carries the signal's path.
        exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? endpoints.OtlpGrpcUrl : new Uri(endpoints.OtlpHttpUrl, signalPath);
        exporter.Headers = $"x-otlp-api-key={apiKey ?? endpoints.OtlpApiKey}";
        exporter.TimeoutMilliseconds = 10_000;
    }
}
