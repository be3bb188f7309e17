namespace DistSync.AppHost.Hosting;

/// <summary>One line a resource wrote, numbered so a reader can tail from where it stopped.</summary>
public sealed record ConsoleLogLine(long Sequence, string Resource, DateTimeOffset Time, bool IsError, string Text);

/// <summary>A resource's console output: the newest lines, bounded; older lines are dropped first.</summary>
public sealed class ConsoleLog(string resource, int capacity = 5_000)
{
    private readonly Queue<ConsoleLogLine> _lines = new();
    private readonly Lock _gate = new();
    private long _sequence;

    public event Action<ConsoleLogLine>? LineWritten;

    public void Write(string text, bool isError, DateTimeOffset time)
    {
        ConsoleLogLine line;
        lock (_gate)
        {
            line = new ConsoleLogLine(++_sequence, resource, time, isError, text);
            _lines.Enqueue(line);
            while (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }

        LineWritten?.Invoke(line);
    }

    /// <summary>Lines after <paramref name="afterSequence"/>, oldest first, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<ConsoleLogLine> Read(long afterSequence = 0, int max = int.MaxValue)
    {
        lock (_gate)
        {
            return [.. _lines.Where(l => l.Sequence > afterSequence).Take(max)];
        }
    }

    public IReadOnlyList<ConsoleLogLine> Tail(int count)
    {
        lock (_gate)
        {
            return [.. _lines.Skip(Math.Max(0, _lines.Count - count))];
        }
    }
}
