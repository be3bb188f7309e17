using System.Globalization;
using DistSync.AppHost.Dashboard.Store;
using DistSync.AppHost.Protos.Collector.Logs;
using DistSync.AppHost.Protos.Collector.Metrics;
using DistSync.AppHost.Protos.Collector.Trace;
using DistSync.AppHost.Protos.Common;
using DistSync.AppHost.Protos.Metrics;
using Google.Protobuf;
using Google.Protobuf.Collections;
using ProtoResource = DistSync.AppHost.Protos.Resource.Resource;
using ProtoSpan = DistSync.AppHost.Protos.Trace.Span;
using ProtoStatus = DistSync.AppHost.Protos.Trace.Status;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>Flattens OTLP export requests into the store's records (attribute values become strings).</summary>
internal static partial class OtlpConverter
{
    public static List<SpanData> ToSpans(ExportTraceServiceRequest request)
    {
        var result = new List<SpanData>();
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = ResourceName(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = scopeSpans.Scope?.Name ?? "";
                foreach (var span in scopeSpans.Spans)
                {
                    var traceId = Hex(span.TraceId);
                    var spanId = Hex(span.SpanId);
                    if (traceId is null || spanId is null)
                    {
                        continue; // A span without ids cannot be placed in a trace.
                    }

                    result.Add(new SpanData(
                        traceId,
                        spanId,
                        Hex(span.ParentSpanId),
                        span.Name,
                        resource,
                        scope,
                        KindName(span.Kind),
                        Time(span.StartTimeUnixNano),
                        span.EndTimeUnixNano > span.StartTimeUnixNano ? (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1_000_000.0 : 0,
                        StatusName(span.Status),
                        string.IsNullOrEmpty(span.Status?.Message) ? null : span.Status.Message,
                        Attributes(span.Attributes),
                        [.. span.Events.Select(e => new SpanEventData(e.Name, Time(e.TimeUnixNano), Attributes(e.Attributes)))]));
                }
            }
        }

        return result;
    }

    public static List<LogEntry> ToLogs(ExportLogsServiceRequest request)
    {
        var result = new List<LogEntry>();
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var resource = ResourceName(resourceLogs.Resource);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var scope = scopeLogs.Scope?.Name ?? "";
                foreach (var record in scopeLogs.LogRecords)
                {
                    var severity = (int)record.SeverityNumber;
                    var attributes = Attributes(record.Attributes);
                    var message = record.Body is null ? record.EventName : FillTemplate(Text(record.Body), attributes);
                    result.Add(new LogEntry(
                        0,
                        Time(record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano),
                        resource,
                        scope,
                        TelemetryStore.LevelOf(severity, record.SeverityText),
                        severity,
                        message,
                        Hex(record.TraceId),
                        Hex(record.SpanId),
                        attributes));
                }
            }
        }

        return result;
    }

    public static List<MetricSample> ToMetrics(ExportMetricsServiceRequest request)
    {
        var result = new List<MetricSample>();
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var resource = ResourceName(resourceMetrics.Resource);
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                var scope = scopeMetrics.Scope?.Name ?? "";
                foreach (var metric in scopeMetrics.Metrics)
                {
                    AddMetric(result, resource, scope, metric);
                }
            }
        }

        return result;
    }

    private static void AddMetric(List<MetricSample> result, string resource, string scope, Metric metric)
    {
        MetricInstrument Instrument(string kind, AggregationTemporality temporality) =>
            new(resource, scope, metric.Name, metric.Unit, metric.Description, kind, TemporalityName(temporality));

        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                var gauge = Instrument("gauge", AggregationTemporality.Unspecified);
                result.AddRange(metric.Gauge.DataPoints.Select(p => new MetricSample(gauge, Attributes(p.Attributes), NumberPoint(p))));
                break;
            case Metric.DataOneofCase.Sum:
                var sum = Instrument("sum", metric.Sum.AggregationTemporality);
                result.AddRange(metric.Sum.DataPoints.Select(p => new MetricSample(sum, Attributes(p.Attributes), NumberPoint(p))));
                break;
            case Metric.DataOneofCase.Histogram:
                var histogram = Instrument("histogram", metric.Histogram.AggregationTemporality);
                result.AddRange(metric.Histogram.DataPoints.Select(p => new MetricSample(
                    histogram,
                    Attributes(p.Attributes),
                    new MetricPoint(
                        Time(p.TimeUnixNano),
                        p.Count == 0 ? 0 : (p.HasSum ? p.Sum : 0) / p.Count,
                        (long)p.Count,
                        p.HasSum ? p.Sum : null,
                        [.. p.ExplicitBounds],
                        [.. p.BucketCounts.Select(c => (long)c)]))));
                break;
            case Metric.DataOneofCase.ExponentialHistogram:
                var exponential = Instrument("exponential_histogram", metric.ExponentialHistogram.AggregationTemporality);
                result.AddRange(metric.ExponentialHistogram.DataPoints.Select(p => new MetricSample(
                    exponential,
                    Attributes(p.Attributes),
                    new MetricPoint(Time(p.TimeUnixNano), p.Count == 0 ? 0 : (p.HasSum ? p.Sum : 0) / p.Count, (long)p.Count, p.HasSum ? p.Sum : null))));
                break;
            case Metric.DataOneofCase.Summary:
                var summary = Instrument("summary", AggregationTemporality.Unspecified);
                result.AddRange(metric.Summary.DataPoints.Select(p => new MetricSample(
                    summary,
                    Attributes(p.Attributes),
                    new MetricPoint(Time(p.TimeUnixNano), p.Count == 0 ? 0 : p.Sum / p.Count, (long)p.Count, p.Sum))));
                break;
            default:
                break; // A metric without data carries nothing to show.
        }
    }

    /// <summary>
    /// Without IncludeFormattedMessage the .NET exporter sends the message template as the body and the
    /// values as attributes; put the values back so the page reads like the console ("{Name}" or "{Name:format}").
    /// </summary>
    private static string FillTemplate(string body, Dictionary<string, string> attributes)
    {
        if (attributes.Count == 0 || !body.Contains('{', StringComparison.Ordinal))
        {
            return body;
        }

        return TemplateHole().Replace(body, m => attributes.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{@?([A-Za-z_][A-Za-z0-9_.]*)(?:[,:][^}]*)?\}")]
    private static partial System.Text.RegularExpressions.Regex TemplateHole();

    private static MetricPoint NumberPoint(NumberDataPoint point) =>
        new(Time(point.TimeUnixNano), point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble);

    /// <summary>The resource's service.name, as Aspire names resources; "unknown_service" when absent.</summary>
    public static string ResourceName(ProtoResource? resource)
    {
        var name = resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value;
        return name is null ? "unknown_service" : Text(name);
    }

    private static Dictionary<string, string> Attributes(RepeatedField<KeyValue> attributes)
    {
        var result = new Dictionary<string, string>(attributes.Count, StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[attribute.Key] = attribute.Value is null ? "" : Text(attribute.Value);
        }

        return result;
    }

    public static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString("R", CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => "[" + string.Join(", ", value.ArrayValue.Values.Select(Text)) + "]",
        AnyValue.ValueOneofCase.KvlistValue => "{" + string.Join(", ", value.KvlistValue.Values.Select(kv => kv.Key + ": " + (kv.Value is null ? "" : Text(kv.Value)))) + "}",
        AnyValue.ValueOneofCase.BytesValue => value.BytesValue.ToBase64(),
        _ => "",
    };

    private static string? Hex(ByteString id) =>
        id.IsEmpty || id.Span.IndexOfAnyExcept((byte)0) < 0 ? null : Convert.ToHexStringLower(id.Span);

    private static DateTimeOffset Time(ulong unixNano) => DateTimeOffset.UnixEpoch.AddTicks((long)(unixNano / 100));

    private static string KindName(ProtoSpan.Types.SpanKind kind) => kind switch
    {
        ProtoSpan.Types.SpanKind.Internal => "internal",
        ProtoSpan.Types.SpanKind.Server => "server",
        ProtoSpan.Types.SpanKind.Client => "client",
        ProtoSpan.Types.SpanKind.Producer => "producer",
        ProtoSpan.Types.SpanKind.Consumer => "consumer",
        _ => "unspecified",
    };

    private static string StatusName(ProtoStatus? status) => status?.Code switch
    {
        ProtoStatus.Types.StatusCode.Ok => "ok",
        ProtoStatus.Types.StatusCode.Error => "error",
        _ => "unset",
    };

    private static string TemporalityName(AggregationTemporality temporality) => temporality switch
    {
        AggregationTemporality.Cumulative => "cumulative",
        AggregationTemporality.Delta => "delta",
        _ => "unspecified",
    };
}
