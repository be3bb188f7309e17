using DistSync.AppHost.Dashboard.Store;
using DistSync.AppHost.Protos.Collector.Logs;
using Grpc.Core;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>OTLP/gRPC logs export: /opentelemetry.proto.collector.logs.v1.LogsService/Export.</summary>
internal sealed class OtlpLogsGrpcService(TelemetryStore store) : LogsService.LogsServiceBase
{
    public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        store.AddLogs(OtlpConverter.ToLogs(request));
        return Task.FromResult(new ExportLogsServiceResponse());
    }
}
