using System.Globalization;

namespace DistSync.LoadTests.Chaos.Nemesis;

/// <summary>
/// Each node's wall clock, under the harness's control: nodes start with libfaketime (Debian package <c>faketime</c>)
/// preloaded, reading their offset from a file of their own (at most a second old), so <see cref="Set"/> steps a running
/// node's clock within a second. Monotonic time is left true, as a real clock step or NTP would leave it: what a node does with
/// its wall clock is what a skewed clock can break.
/// </summary>
public sealed class NodeClocks : IDisposable
{
    public const string Library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    private readonly string _folder;
    private readonly Dictionary<string, TimeSpan> _offsets;

    public NodeClocks(IEnumerable<string> nodes, string? folder = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (!IsAvailable)
        {
            throw new InvalidOperationException($"Skewing a node's clock needs {Library}: install Debian's 'faketime' package (apt-get install faketime).");
        }

        _folder = folder ?? Path.Combine(Path.GetTempPath(), "distsync-clocks", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_folder);
        _offsets = nodes.ToDictionary(n => n, _ => TimeSpan.Zero, StringComparer.Ordinal);
        foreach (var node in _offsets.Keys.ToList())
        {
            Set(node, TimeSpan.Zero);
        }
    }

    public static bool IsAvailable => File.Exists(Library);

    public IReadOnlyList<string> Nodes => [.. _offsets.Keys];

    public TimeSpan Offset(string node) => _offsets[node];

    /// <summary>The environment that puts <paramref name="node"/> on its clock.</summary>
    public IReadOnlyDictionary<string, string> Environment(string node) => new Dictionary<string, string>
    {
        ["LD_PRELOAD"] = Library,
        ["FAKETIME_TIMESTAMP_FILE"] = FileOf(node),
        // Re-read at most once a second: re-reading the file on every clock read (FAKETIME_NO_CACHE) costs a node a file
        // read per timestamp its logging, HTTP server and telemetry take, thousands a second.
        ["FAKETIME_CACHE_DURATION"] = "1",
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
        // libfaketime 0.9.10 converts a timed wait's deadline on a monotonic condition variable (every timed wait .NET
        // makes) through the faked wall clock, then, by default on glibc 2.30 and later, adds it to the true monotonic
        // time: the deadline lands in the past and every wait returns at once. A node spun on both cores, and its launcher
        // (dotnet run, preloaded too) died at start when MSBuild's wait for its in-proc node ended early. Without that
        // "fix" the deadline passes through unchanged.
        ["FAKETIME_FORCE_MONOTONIC_FIX"] = "0",
    };

    /// <summary>The AppHost arguments that start every node on its clock.</summary>
    public IEnumerable<string> AppHostArguments() =>
        _offsets.Keys.SelectMany(node => Environment(node).Select(e => $"--DistSync:NodeEnvironmentOf:{node}:{e.Key}={e.Value}"));

    /// <summary>Steps <paramref name="node"/>'s wall clock to <paramref name="offset"/> from true time (the file is replaced whole).</summary>
    public void Set(string node, TimeSpan offset)
    {
        var file = FileOf(node);
        var temp = file + ".tmp";
        var millis = (long)Math.Round(offset.TotalMilliseconds);
        File.WriteAllText(temp, string.Create(CultureInfo.InvariantCulture, $"{(millis < 0 ? "-" : "+")}{Math.Abs(millis) / 1000.0:0.###}s\n"));
        File.Move(temp, file, overwrite: true);
        _offsets[node] = offset;
    }

    /// <summary>Every node back on true time.</summary>
    public void Reset()
    {
        foreach (var node in _offsets.Keys.ToList())
        {
            Set(node, TimeSpan.Zero);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A node still reading its file while it stops; the temp folder is cleaned later.
        }
    }

    private string FileOf(string node) => Path.Combine(_folder, node + ".faketime");
}
