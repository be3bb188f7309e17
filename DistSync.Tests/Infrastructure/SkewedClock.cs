namespace DistSync.Tests.Infrastructure;

/// <summary>
/// A wall-clock offset for one process, through libfaketime (Debian package <c>faketime</c>): the process reads its
/// offset from a file on every clock read, so <see cref="Set"/> moves a running node's wall clock at once. Monotonic
/// time (Stopwatch) is left true, as a real clock step or NTP slew would leave it.
/// </summary>
public sealed class SkewedClock : IDisposable
{
    public const string Library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "distsync-skew", Guid.NewGuid().ToString("n"));

    public SkewedClock(TimeSpan offset)
    {
        if (!System.IO.File.Exists(Library))
        {
            throw new InvalidOperationException($"{Library} is missing: install Debian's 'faketime' package (.ci/run does).");
        }

        Directory.CreateDirectory(_folder);
        Set(offset);
    }

    public string File => Path.Combine(_folder, "faketime");

    /// <summary>The environment that puts a process on this clock.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["LD_PRELOAD"] = Library,
        ["FAKETIME_TIMESTAMP_FILE"] = File,
        ["FAKETIME_NO_CACHE"] = "1",
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
    };

    /// <summary>Steps the clock to <paramref name="offset"/> from true time (written whole, then renamed into place).</summary>
    public void Set(TimeSpan offset)
    {
        var temp = File + ".tmp";
        System.IO.File.WriteAllText(temp, $"{(offset < TimeSpan.Zero ? "-" : "+")}{Math.Abs((long)offset.TotalMilliseconds) / 1000.0:0.###}s\n");
        System.IO.File.Move(temp, File, overwrite: true);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A node may still hold it open while it stops; the temp folder is cleaned later.
        }
    }
}
