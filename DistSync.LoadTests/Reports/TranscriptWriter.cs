using System.Text;

namespace DistSync.LoadTests.Reports;

/// <summary>
/// Writes to the console and keeps a copy, so a benchmark's printed figures that are not per-endpoint (a redelivery
/// delay, a hit/bare ratio, messages/s of batches) reach its report too.
/// </summary>
public sealed class TranscriptWriter(TextWriter inner) : TextWriter
{
    private readonly StringBuilder _copy = new();
    private readonly Lock _gate = new();

    public override Encoding Encoding => inner.Encoding;

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _copy.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_gate)
        {
            _copy.Append(value);
            inner.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            _copy.Append(value);
            inner.Write(value);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_gate)
        {
            _copy.AppendLine(value);
            inner.WriteLine(value);
        }
    }

    public override void Flush() => inner.Flush();
}
