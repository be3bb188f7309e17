using System.Text.Json.Nodes;
using Google.Protobuf;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>
/// OTLP/JSON is protobuf's JSON mapping with one exception: trace and span ids are hex strings, not
/// base64 (OTLP specification, "JSON Protobuf Encoding"). Rewrites them, then lets protobuf parse.
/// </summary>
internal static class OtlpJson
{
    private const int MaxDepth = 64;
    private static readonly JsonParser _parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly HashSet<string> _idFields = new(StringComparer.Ordinal)
    {
        "traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id",
    };

    public static T Parse<T>(string json)
        where T : IMessage, new()
    {
        var root = JsonNode.Parse(json) ?? throw new FormatException("The body is empty JSON.");
        RewriteIds(root, 0);
        return _parser.Parse<T>(root.ToJsonString());
    }

    private static void RewriteIds(JsonNode node, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException("The JSON is nested too deeply.");
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToArray())
                {
                    if (_idFields.Contains(name) && child is JsonValue value && value.TryGetValue<string>(out var hex))
                    {
                        obj[name] = hex.Length == 0 ? "" : Convert.ToBase64String(Convert.FromHexString(hex));
                    }
                    else if (child is not null)
                    {
                        RewriteIds(child, depth + 1);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        RewriteIds(child, depth + 1);
                    }
                }

                break;
            default:
                break;
        }
    }
}
