using DistSync.AppHost.Dashboard.Store;
using DistSync.AppHost.Protos.Collector.Trace;
using Grpc.Core;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>OTLP/gRPC trace export: /opentelemetry.proto.collector.trace.v1.TraceService/Export.</summary>
internal sealed class OtlpTraceGrpcService(TelemetryStore store) : TraceService.TraceServiceBase
{
    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        store.AddSpans(OtlpConverter.ToSpans(request));
        return Task.FromResult(new ExportTraceServiceResponse());
    }
}
