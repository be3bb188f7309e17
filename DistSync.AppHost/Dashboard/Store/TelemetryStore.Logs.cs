namespace DistSync.AppHost.Dashboard.Store;

public sealed partial class TelemetryStore
{
    private static readonly string[] _levels = ["trace", "debug", "information", "warning", "error", "critical"];
    private readonly Lock _logsLock = new();
    private readonly Queue<LogEntry> _logs = new();
    private long _logSequence;

    /// <summary>Log records held now.</summary>
    public int LogCount
    {
        get
        {
            lock (_logsLock)
            {
                return _logs.Count;
            }
        }
    }

    /// <summary>Adds records (their sequence is assigned here); drops the oldest past the limit.</summary>
    public void AddLogs(IReadOnlyCollection<LogEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        lock (_logsLock)
        {
            foreach (var entry in entries)
            {
                _logs.Enqueue(entry with { Sequence = ++_logSequence });
            }

            while (_logs.Count > _maxLogRecords)
            {
                _logs.Dequeue();
            }
        }

        NoteResources(entries.Select(e => e.Resource).Distinct());
        Raise(TelemetryKind.Logs);
    }

    /// <summary>Records matching the query, newest first, at most <see cref="LogQuery.Limit"/>.</summary>
    public IReadOnlyList<LogEntry> GetLogs(LogQuery query)
    {
        LogEntry[] all;
        lock (_logsLock)
        {
            all = [.. _logs];
        }

        var minLevel = query.MinLevel is null ? 0 : Math.Max(0, Array.IndexOf(_levels, query.MinLevel.ToLowerInvariant()));
        var result = new List<LogEntry>();
        for (var i = all.Length - 1; i >= 0 && result.Count < query.Limit; i--)
        {
            var entry = all[i];
            if (entry.Sequence <= query.AfterSequence)
            {
                break;
            }

            if (Array.IndexOf(_levels, entry.Level) >= minLevel && Matches(entry, query))
            {
                result.Add(entry);
            }
        }

        return result;
    }

    /// <summary>Maps an OTLP severity number (1–24) to a level name; 0 falls back to the text.</summary>
    public static string LevelOf(int severityNumber, string? severityText) => severityNumber switch
    {
        >= 1 and <= 4 => "trace",
        >= 5 and <= 8 => "debug",
        >= 9 and <= 12 => "information",
        >= 13 and <= 16 => "warning",
        >= 17 and <= 20 => "error",
        >= 21 => "critical",
        _ => _levels.FirstOrDefault(l => severityText is not null && l.StartsWith(severityText.ToLowerInvariant(), StringComparison.Ordinal)) ?? "information",
    };

    private static bool Matches(LogEntry entry, LogQuery query) =>
        (query.Resource is null || entry.Resource == query.Resource)
        && (query.TraceId is null || string.Equals(entry.TraceId, query.TraceId, StringComparison.OrdinalIgnoreCase))
        && (query.Text is null
            || entry.Message.Contains(query.Text, StringComparison.OrdinalIgnoreCase)
            || entry.Attributes.Values.Any(v => v.Contains(query.Text, StringComparison.OrdinalIgnoreCase)))
        && (query.Attributes is null
            || query.Attributes.All(a => entry.Attributes.TryGetValue(a.Key, out var v) && v == a.Value));
}
