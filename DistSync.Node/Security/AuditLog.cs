using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Security;

/// <summary>
/// Appends each <see cref="AuditEvent"/>, when configured, to a file that outlives restarts, and writes it as a
/// structured log line (category <c>DistSync.Audit</c>, which the dashboard shows and filters). With a file, only
/// refusals and requests whose trace is kept go to the logs too (unless <see cref="AuditOptions.LogAll"/>): a log
/// line per write cost the dashboard half a core under load and pushed the logs worth reading out of its
/// bounded store. One loop writes the file: each batch as it comes, fsynced at most once a second, since an event
/// is recorded after its answer has gone anyway and a flush per batch cost the node a tenth of its CPU.
/// </summary>
public sealed class AuditLog : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly string? _path;
    private readonly Channel<AuditEvent> _pending = Channel.CreateUnbounded<AuditEvent>(new UnboundedChannelOptions { SingleReader = true });
    private Task _writer = Task.CompletedTask;
    private readonly bool _logAll;

    /// <summary>How often at most the file is fsynced: a machine crash loses at most this much of the audit.</summary>
    private static readonly TimeSpan SyncInterval = TimeSpan.FromSeconds(1);

    public AuditLog(IOptions<AuditOptions> options, IOptions<NodeOptions> node, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("DistSync.Audit");
        Reads = options.Value.Reads;
        NodeId = node.Value.NodeId;
        _logAll = options.Value.LogAll;
        if (!string.IsNullOrWhiteSpace(options.Value.File))
        {
            _path = Path.GetFullPath(options.Value.File, node.Value.ResolveDataDir());
        }
    }

    public bool Reads { get; }

    public string NodeId { get; }

    /// <summary>The audit file's full path, or null when events go to the logs only.</summary>
    public string? FilePath => _path;

    /// <param name="traced">The request's trace is kept (sampled), so its log line shows with it in the dashboard.</param>
    public void Record(AuditEvent audit, bool traced)
    {
        if (_path is not null && !_logAll && !traced && audit.Outcome != "refused")
        {
            _pending.Writer.TryWrite(audit);
            return;
        }

        _logger.Audited(audit.Principal ?? "-", audit.Role ?? "-", audit.Method, audit.Route, audit.Target ?? "-", audit.Status, audit.Outcome, audit.Node, audit.TraceId ?? "-");
        if (_path is not null)
        {
            _pending.Writer.TryWrite(audit);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_path is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteLoopAsync()
    {
        await using var file = new FileStream(_path!, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 1, FileOptions.None);
        var line = new MemoryStream();
        var unsynced = false;
        var lastSync = Stopwatch.GetTimestamp();
        while (true)
        {
            line.SetLength(0);
            while (_pending.Reader.TryRead(out var audit))
            {
                JsonSerializer.Serialize(line, audit, NodeJson.Options);
                line.WriteByte((byte)'\n');
            }

            if (line.Length > 0)
            {
                try
                {
                    file.Write(line.GetBuffer(), 0, (int)line.Length);
                    unsynced = true;
                }
                catch (IOException ex)
                {
                    _logger.AuditFileFailed(_path!, ex.Message);
                }

                if (unsynced && Stopwatch.GetElapsedTime(lastSync) >= SyncInterval)
                {
                    Sync();
                }

                continue;
            }

            // Nothing queued. With lines written but not yet fsynced, wait for more only until their fsync is due.
            using var syncDue = unsynced ? new CancellationTokenSource(TimeSpan.FromTicks(Math.Max(0, (SyncInterval - Stopwatch.GetElapsedTime(lastSync)).Ticks))) : null;
            try
            {
                if (!await _pending.Reader.WaitToReadAsync(syncDue?.Token ?? CancellationToken.None))
                {
                    break;
                }
            }
            catch (OperationCanceledException)
            {
                Sync();
            }
        }

        if (unsynced)
        {
            Sync();
        }

        void Sync()
        {
            try
            {
                file.Flush(flushToDisk: true);
            }
            catch (IOException ex)
            {
                _logger.AuditFileFailed(_path!, ex.Message);
            }

            unsynced = false;
            lastSync = Stopwatch.GetTimestamp();
        }
    }
}

internal static partial class AuditLogMessages
{
    [LoggerMessage(6001, LogLevel.Information,
        "Audit: {Principal} ({Role}) {Method} {Route} target={Target} -> {Status} {Outcome} on {Node}, trace {TraceId}")]
    public static partial void Audited(this ILogger logger, string principal, string role, string method, string route, string target, int status,
        string outcome, string node, string traceId);

    [LoggerMessage(6002, LogLevel.Error, "Could not append to the audit file {Path}: {Error}")]
    public static partial void AuditFileFailed(this ILogger logger, string path, string error);
}
