using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistSync.Node.Queue;

/// <summary>
/// What Redis holds for one message: a one-line JSON header, a newline, then the payload's JSON text exactly as the
/// publisher sent it (so it comes back byte for byte, whatever its formatting). Redis never looks inside.
/// </summary>
public sealed record MessageRecord(long PublishedAtMs, string? Key, string? DedupId, string? TraceParent, string Payload)
{
    public string Encode() => JsonSerializer.Serialize(new Header(PublishedAtMs, Key, DedupId, TraceParent), HeaderJson.Default.Header) + "\n" + Payload;

    public static MessageRecord Decode(string record)
    {
        var newline = record.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0 || JsonSerializer.Deserialize(record.AsSpan(0, newline), HeaderJson.Default.Header) is not { } header)
        {
            throw new FormatException("A queue record has no header line.");
        }

        return new MessageRecord(header.T, header.K, header.D, header.Tp, record[(newline + 1)..]);
    }

    public int Bytes => Encoding.UTF8.GetByteCount(Payload);

    internal sealed record Header(long T, string? K, string? D, string? Tp);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MessageRecord.Header))]
internal sealed partial class HeaderJson : JsonSerializerContext;
