using System.Buffers;
using System.Net;
using DistSync.Node.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Options;

using DistSync.Raft;

namespace DistSync.Node.Consensus;

/// <summary><c>/raft/*</c> for people and tools; <c>/internal/raft/*</c> for peers (cluster key required).</summary>
public static partial class RaftApi
{
    public const string PeerStatusPath = "/internal/raft/status";

    public static IEndpointRouteBuilder MapRaftApi(this IEndpointRouteBuilder app)
    {
        var raft = app.MapGroup("/raft").WithTags("Raft").AddEndpointFilter(new TargetFilter(null));
        raft.MapGet("/status", GetStatus).RequireRole(Role.Reader)
            .WithName("GetRaftStatus")
            .WithSummary("This node's Raft state: role, term, leader, commit and applied index, log and peers.");
        raft.MapPost("/transfer-leadership", TransferLeadership).RequireRole(Role.Admin).WithBodyLimit(1024)
            .WithName("TransferLeadership")
            .WithSummary("Asks the leader to hand leadership to another node (e.g. before maintenance).");

        var internalRaft = app.MapGroup("/internal/raft").ExcludeFromDescription().AllowAnonymous();
        internalRaft.MapPost("/stream", ReceiveStreamAsync);
        internalRaft.MapGet("/status", GetStatus);
        internalRaft.MapGet("/members", GetEntryAnswerAsync);
        return app;
    }

    public static Results<Ok<RaftStatusResponse>, ProblemHttpResult> GetStatus(RaftHost host)
    {
        if (host.Status is not { } status)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Raft is starting", detail: "The Raft log is still being loaded.");
        }

        return TypedResults.Ok(RaftStatusResponse.From(status, host.Role));
    }

    /// <summary>For a node with an empty data folder deciding how to enter (<see cref="ClusterAdmission"/>): what this node is, and the configuration.</summary>
    internal static async Task<Results<Ok<ClusterEntryAnswer>, ProblemHttpResult>> GetEntryAnswerAsync(bool? committed, RaftHost host, ClusterAdmission admission,
        Hosting.ClusterFounding founding, CancellationToken cancellationToken)
    {
        if (admission.UnsettledState is { } unsettled)
        {
            return TypedResults.Ok(new ClusterEntryAnswer(host.NodeId, unsettled, admission.Nonce, founding.ConfiguredFounders, [], [], null));
        }

        if (committed == true)
        {
            try
            {
                await host.ReadBarrierAsync(cancellationToken);
            }
            catch (RaftUnavailableException ex)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Cluster unavailable", detail: ex.Message);
            }
        }

        if (host.Configuration is not { } config)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Raft is starting", detail: "The Raft log is still being loaded.");
        }

        return TypedResults.Ok(new ClusterEntryAnswer(host.NodeId, "member", null, founding.Founders, config.Voters, config.Learners, founding.SeenDeciding));
    }

    public static Results<Accepted<TransferResponse>, ProblemHttpResult> TransferLeadership(TransferRequest request, RaftHost host)
    {
        if (string.IsNullOrWhiteSpace(request.Target))
        {
            return Http.Problems.InvalidField("target", "is required: the id of the node that should lead");
        }

        if (!host.Voters.Contains(request.Target))
        {
            return Http.Problems.InvalidField("target", $"must be one of {string.Join(", ", host.Voters)}");
        }

        host.TransferLeadership(request.Target);
        return TypedResults.Accepted("/raft/status", new TransferResponse("transferring", request.Target, host.LeaderId));
    }

    /// <summary>
    /// A peer's stream of <see cref="RaftStreamFrame"/>s, read until the peer goes away or this node stops. Messages are
    /// handed to the loop as they arrive; if its queue is full they are dropped, and Raft resends what matters. Snapshot
    /// chunks are put together here, one snapshot at a time per stream, and only a complete, verified snapshot reaches
    /// the loop, as the one InstallSnapshot the leader's core sent: the core never sees a chunk.
    /// </summary>
    internal static async Task ReceiveStreamAsync(HttpContext context, RaftHost host, RaftTelemetry telemetry, IOptions<RaftHostOptions> options,
        IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        var features = context.Features;
        if (features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null; // an idle follower's stream is quiet between elections
        }

        var logger = loggers.CreateLogger(typeof(RaftApi));
        var snapshots = new SnapshotAssembler(options.Value.MaxSnapshotBytes);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var reader = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(stop.Token);
                var buffer = read.Buffer;
                while (RaftStreamFrame.TryRead(ref buffer, out var frame))
                {
                    if (RaftStreamFrame.IsSnapshotChunk(frame))
                    {
                        ReceiveChunk(frame, snapshots, host, logger);
                        continue;
                    }

                    var (messages, trace) = RaftStreamFrame.Decode(frame.IsSingleSegment ? frame.FirstSpan : frame.ToArray());
                    using var activity = trace == default ? null : telemetry.StartAppendReceived(trace, messages);
                    host.Receive(messages);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The peer went away, or this node is stopping.
        }
        catch (IOException)
        {
            // The peer's connection was reset (it crashed, or a partition cut it): it reconnects when it can.
        }
        catch (FormatException ex)
        {
            LogMalformedStream(logger, ex.Message);
        }

        if (snapshots.Assembling is { } unfinished)
        {
            // Chunks only ever continue on the stream that began them: the sender starts again on its next stream.
            LogSnapshotAbandoned(logger, unfinished.Index, snapshots.ReceivedBytes);
        }

        // Never answer normally: the sender is still writing, and a closed connection tells it to reconnect at once.
        context.Abort();
    }

    private static void ReceiveChunk(ReadOnlySequence<byte> frame, SnapshotAssembler snapshots, RaftHost host, ILogger logger)
    {
        // A 1 MiB frame usually spans several of the pipe's segments: join it in a pooled buffer, not a new array.
        var length = (int)frame.Length;
        var pooled = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(pooled);
            var chunk = RaftStreamFrame.DecodeChunk(pooled.AsMemory(0, length));
            var outcome = snapshots.Add(chunk, out var complete);
            switch (outcome)
            {
                case SnapshotChunkOutcome.Started:
                    LogSnapshotReceiving(logger, chunk.Metadata.Index, chunk.TotalBytes, chunk.From);
                    break;
                case SnapshotChunkOutcome.Completed:
                    LogSnapshotReceived(logger, chunk.Metadata.Index, chunk.TotalBytes, chunk.From);
                    if (!host.Receive([complete!]))
                    {
                        LogSnapshotDropped(logger, chunk.Metadata.Index, chunk.From);
                    }

                    break;
                case SnapshotChunkOutcome.Continued or SnapshotChunkOutcome.Duplicate:
                    break;
                default:
                    LogChunkRefused(logger, chunk.Offset, chunk.Metadata.Index, chunk.From, chunk.Term, outcome);
                    break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pooled);
        }
    }

    [LoggerMessage(2107, LogLevel.Warning, "Malformed Raft stream from a peer, dropped: {Reason}")]
    private static partial void LogMalformedStream(ILogger logger, string reason);

    [LoggerMessage(2108, LogLevel.Information, "Receiving snapshot {Index} ({Bytes} bytes) from {Peer}")]
    private static partial void LogSnapshotReceiving(ILogger logger, long index, long bytes, string peer);

    [LoggerMessage(2109, LogLevel.Information, "Received snapshot {Index} ({Bytes} bytes) from {Peer}, checksum verified")]
    private static partial void LogSnapshotReceived(ILogger logger, long index, long bytes, string peer);

    [LoggerMessage(2110, LogLevel.Warning, "Snapshot chunk at {Offset} of snapshot {Index} from {Peer} (term {Term}) refused: {Outcome}")]
    private static partial void LogChunkRefused(ILogger logger, long offset, long index, string peer, long term, SnapshotChunkOutcome outcome);

    [LoggerMessage(2111, LogLevel.Warning, "Snapshot {Index} from {Peer} dropped: the Raft loop's queue is full (the leader sends it again)")]
    private static partial void LogSnapshotDropped(ILogger logger, long index, string peer);

    [LoggerMessage(2112, LogLevel.Information, "Snapshot {Index} left unfinished after {Bytes} bytes: its stream ended")]
    private static partial void LogSnapshotAbandoned(ILogger logger, long index, long bytes);
}

public sealed record TransferRequest(string? Target);

public sealed record TransferResponse(string Status, string Target, string? LeaderId);

public sealed record RaftPeerStatus(string Id, long MatchIndex, long NextIndex, string State, bool RecentActive, int Inflight);

public sealed record RaftLogStatus(long FirstIndex, long LastIndex, int Entries);

public sealed record RaftStatusResponse(
    string NodeId,
    string Role,
    string RaftRole,
    long Term,
    string? LeaderId,
    string? VotedFor,
    long CommitIndex,
    long LastApplied,
    RaftLogStatus Log,
    long SnapshotIndex,
    string? TransferTarget,
    IReadOnlyList<RaftPeerStatus> Peers)
{
    public static RaftStatusResponse From(RaftStatus status, string role) => new(
        status.Id,
        role,
        status.Role.ToString(),
        status.Term,
        status.LeaderId,
        status.VotedFor,
        status.Commit,
        status.Applied,
        new RaftLogStatus(status.SnapshotIndex + 1, status.LastIndex, status.EntriesInMemory),
        status.SnapshotIndex,
        status.TransferTarget,
        [.. status.Progress.Where(p => p.Key != status.Id).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new RaftPeerStatus(p.Key, p.Value.Match, p.Value.Next, p.Value.State.ToString(), p.Value.RecentActive, p.Value.Inflight))]);
}
