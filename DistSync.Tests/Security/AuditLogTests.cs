using System.Text.Json;
using DistSync.Node.Hosting;
using DistSync.Node.Security;
using DistSync.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DistSync.Tests.Security;

/// <summary>
/// Which audit events reach the logs (and so the dashboard) beside the file: with a file, refusals and requests whose
/// trace is kept; without one, or with <c>LogAll</c>, every event. The file always gets every event.
/// </summary>
public sealed class AuditLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"audit-{Guid.NewGuid():N}");

    [Fact]
    public async Task WithAFile_OnlyRefusalsAndTracedRequests_AreLogged_AndTheFileHasEveryEvent()
    {
        var (audit, logs) = await StartAsync(file: "audit.jsonl", logAll: false);

        audit.Record(Event("untraced-write", 200), traced: false);
        audit.Record(Event("traced-write", 200), traced: true);
        audit.Record(Event("refused-write", 401), traced: false);
        audit.Record(Event("rejected-write", 429), traced: false);
        await audit.StopAsync(CancellationToken.None);

        Assert.Equal(["traced-write", "refused-write"], LoggedTargets(logs));
        Assert.Equal(["untraced-write", "traced-write", "refused-write", "rejected-write"], FileTargets(audit));
    }

    [Fact]
    public async Task WithLogAll_EveryEvent_IsLogged_AndInTheFile()
    {
        var (audit, logs) = await StartAsync(file: "audit.jsonl", logAll: true);

        audit.Record(Event("untraced-write", 200), traced: false);
        audit.Record(Event("rejected-write", 409), traced: false);
        await audit.StopAsync(CancellationToken.None);

        Assert.Equal(["untraced-write", "rejected-write"], LoggedTargets(logs));
        Assert.Equal(["untraced-write", "rejected-write"], FileTargets(audit));
    }

    [Fact]
    public async Task WithoutAFile_EveryEvent_IsLogged()
    {
        var (audit, logs) = await StartAsync(file: null, logAll: false);

        audit.Record(Event("untraced-write", 200), traced: false);
        await audit.StopAsync(CancellationToken.None);

        Assert.Null(audit.FilePath);
        Assert.Equal(["untraced-write"], LoggedTargets(logs));
    }

    [Fact]
    public async Task EventsRecordedInBursts_AllReachTheFile_InOrder_ByTheTimeItStops()
    {
        var (audit, _) = await StartAsync(file: "audit.jsonl", logAll: false);
        var targets = Enumerable.Range(0, 500).Select(i => $"t{i}").ToList();

        foreach (var burst in targets.Chunk(50))
        {
            foreach (var target in burst)
            {
                audit.Record(Event(target, 200), traced: false);
            }

            // Let the writer take a batch, so the file sees many writes between its fsyncs.
            await Eventually.UntilAsync(() => File.Exists(audit.FilePath) && FileTargets(audit).Contains(burst[^1]), TimeSpan.FromSeconds(10), $"{burst[^1]} in the file");
        }

        await audit.StopAsync(CancellationToken.None);
        Assert.Equal(targets, FileTargets(audit));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private async Task<(AuditLog Audit, CapturedLogs Logs)> StartAsync(string? file, bool logAll)
    {
        var logs = new CapturedLogs();
        var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var audit = new AuditLog(
            Options.Create(new AuditOptions { File = file, LogAll = logAll }),
            Options.Create(new NodeOptions { NodeId = "node1", DataDir = _dir }),
            loggers);
        await audit.StartAsync(CancellationToken.None);
        return (audit, logs);
    }

    private static AuditEvent Event(string target, int status) =>
        new(DateTimeOffset.UtcNow, "writer", "writer", "node1", "POST", "/locks/acquire", target, status, AuditEvent.OutcomeOf(status), null);

    private static List<string> LoggedTargets(CapturedLogs logs) =>
        [.. logs.Lines.Where(l => l.Contains("DistSync.Audit[6001]", StringComparison.Ordinal))
            .Select(l => l.Split("target=", 2)[1].Split(' ', 2)[0])];

    private static List<string> FileTargets(AuditLog audit) =>
        [.. File.ReadAllLines(audit.FilePath!).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("target").GetString()!)];
}
