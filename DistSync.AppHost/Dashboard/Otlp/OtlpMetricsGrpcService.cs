using DistSync.AppHost.Dashboard.Store;
using DistSync.AppHost.Protos.Collector.Metrics;
using Grpc.Core;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>OTLP/gRPC metrics export: /opentelemetry.proto.collector.metrics.v1.MetricsService/Export.</summary>
internal sealed class OtlpMetricsGrpcService(TelemetryStore store) : MetricsService.MetricsServiceBase
{
    public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
    {
        store.AddMetrics(OtlpConverter.ToMetrics(request));
        return Task.FromResult(new ExportMetricsServiceResponse());
    }
}
