using System.Text.Json;
using System.Threading.Channels;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Security;

/// <summary>
/// Writes each <see cref="AuditEvent"/> as a structured log line (category <c>DistSync.Audit</c>, so the dashboard
/// shows and filters it) and, when configured, appends it to a file that outlives restarts. The file is written by
/// one loop that fsyncs once per batch, so a burst of requests costs one disk flush, not one each.
/// </summary>
public sealed class AuditLog : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly string? _path;
    private readonly Channel<AuditEvent> _pending = Channel.CreateUnbounded<AuditEvent>(new UnboundedChannelOptions { SingleReader = true });
    private Task _writer = Task.CompletedTask;

    public AuditLog(IOptions<AuditOptions> options, IOptions<NodeOptions> node, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("DistSync.Audit");
        Reads = options.Value.Reads;
        NodeId = node.Value.NodeId;
        if (!string.IsNullOrWhiteSpace(options.Value.File))
        {
            _path = Path.GetFullPath(options.Value.File, node.Value.ResolveDataDir());
        }
    }

    public bool Reads { get; }

    public string NodeId { get; }

    /// <summary>The audit file's full path, or null when events go to the logs only.</summary>
    public string? FilePath => _path;

    public void Record(AuditEvent audit)
    {
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
        while (await _pending.Reader.WaitToReadAsync())
        {
            line.SetLength(0);
            while (_pending.Reader.TryRead(out var audit))
            {
                JsonSerializer.Serialize(line, audit, NodeJson.Options);
                line.WriteByte((byte)'\n');
            }

            try
            {
                file.Write(line.GetBuffer(), 0, (int)line.Length);
                file.Flush(flushToDisk: true);
            }
            catch (IOException ex)
            {
                _logger.AuditFileFailed(_path!, ex.Message);
            }
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
