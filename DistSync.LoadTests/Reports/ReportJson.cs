using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistSync.LoadTests.Reports;

/// <summary>How <c>report.json</c> is written and read back (by <c>compare</c>): snake_case, indented, enums as words.</summary>
public static class ReportJson
{
    public const string FileName = "report.json";

    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Reads a report folder (or a report.json path); a folder without one is an error naming what was looked for.</summary>
    public static RunReport Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
        {
            throw new ArgumentException($"no report at '{path}' (looked for {file}; write one with --report DIR).");
        }

        try
        {
            var report = JsonSerializer.Deserialize<RunReport>(File.ReadAllText(file), Options)
                ?? throw new ArgumentException($"'{file}' holds no report.");
            return report.FormatVersion == 1 ? report : throw new ArgumentException($"'{file}' is report format {report.FormatVersion}; this tool reads format 1.");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"'{file}' is not a report: {ex.Message}", ex);
        }
    }
}
