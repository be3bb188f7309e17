using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistSync.LoadTests.Chaos.History;

/// <summary>A history saved as JSON lines, one operation per line, so a run can be checked again offline.</summary>
public static class HistoryFile
{
    public const string FileName = "history.jsonl";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static void Write(string path, IEnumerable<ChaosOp> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var writer = new StreamWriter(path);
        foreach (var op in history)
        {
            writer.WriteLine(JsonSerializer.Serialize(op, Json));
        }
    }

    public static IReadOnlyList<ChaosOp> Read(string path)
    {
        var ops = new List<ChaosOp>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                ops.Add(JsonSerializer.Deserialize<ChaosOp>(line, Json) ?? throw new JsonException("null"));
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{number}: not an operation ({ex.Message}).", ex);
            }
        }

        return ops;
    }
}
