using System.Net;
using DistSync.Node.Cluster;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Consensus;

/// <summary><c>/raft/*</c> for people and tools; <c>/internal/raft/*</c> for peers (cluster key required).</summary>
public static class RaftApi
{
    private const int MaxBatchBytes = 64 * 1024 * 1024;

    public static IEndpointRouteBuilder MapRaftApi(this IEndpointRouteBuilder app)
    {
        var raft = app.MapGroup("/raft").WithTags("Raft");
        raft.MapGet("/status", GetStatus)
            .WithName("GetRaftStatus")
            .WithSummary("This node's Raft state: role, term, leader, commit and applied index, log and peers.");
        raft.MapPost("/transfer-leadership", TransferLeadership)
            .WithName("TransferLeadership")
            .WithSummary("Asks the leader to hand leadership to another node (e.g. before maintenance).");

        var internalRaft = app.MapGroup("/internal/raft").ExcludeFromDescription().AddEndpointFilter<ClusterKeyFilter>();
        internalRaft.MapPost("/messages", ReceiveMessagesAsync);
        internalRaft.MapPost("/propose", AcceptProposalAsync);
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

    private static async Task<IResult> ReceiveMessagesAsync(HttpRequest request, RaftHost host)
    {
        var body = await ReadBodyAsync(request);
        if (body is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Batch too large");
        }

        IReadOnlyList<Message> messages;
        try
        {
            messages = MessageCodec.DecodeBatch(body);
        }
        catch (FormatException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed Raft batch", detail: ex.Message);
        }

        return host.Receive(messages)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Overloaded", detail: "The Raft loop's queue is full.");
    }

    private static async Task<IResult> AcceptProposalAsync(HttpRequest request, RaftHost host, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(request);
        if (body is null || body.Length < CommandEnvelope.HeaderBytes)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed proposal");
        }

        try
        {
            var result = await host.AcceptForwardedAsync(body, cancellationToken);
            return result.Status switch
            {
                ProposeStatus.Accepted => TypedResults.Json(new ForwardAnswer(result.Index, result.Term, host.NodeId), NodeJson.Options, statusCode: StatusCodes.Status202Accepted),
                ProposeStatus.TooLarge => TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Command too large"),
                _ => TypedResults.Json(new ForwardAnswer(0, 0, result.LeaderHint), NodeJson.Options, statusCode: (int)HttpStatusCode.MisdirectedRequest),
            };
        }
        catch (RaftUnavailableException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable", detail: ex.Message);
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request)
    {
        // Kestrel's default (30 MB) is below what a full pipeline of appends may carry.
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBatchBytes;
        }

        if (request.ContentLength is > MaxBatchBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.Length > MaxBatchBytes ? null : buffer.ToArray();
    }
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
