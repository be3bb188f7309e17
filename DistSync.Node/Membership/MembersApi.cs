using System.Text;
using System.Text.RegularExpressions;
using DistSync.Node.Http;
using DistSync.Node.Security;
using DistSync.Raft;

namespace DistSync.Node.Membership;

/// <summary>
/// <c>/cluster/members</c> (admin): the Raft configuration's members, and changes to it one server at a time: add a
/// learner, promote it once caught up, remove a member. Each change answers once applied. The same handlers serve the
/// peers' twin routes under <see cref="PeerPrefix"/>, where a follower hands a request to the leader.
/// </summary>
public static partial class MembersApi
{
    public const string PublicPrefix = "/cluster/members";
    public const string PeerPrefix = "/internal/cluster/members";

    public static IEndpointRouteBuilder MapMembersApi(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup(PublicPrefix).WithTags("Cluster").AddEndpointFilter(new TargetFilter(null)).RequireRole(Role.Admin);
        members.MapGet("", ListAsync).WithName("ListMembers")
            .WithSummary("The cluster's members (voters and learners), their addresses, how far each one's log is, and the ring.");
        members.MapPost("", AddAsync).WithBodyLimit(8 * 1024).WithName("AddMember")
            .WithSummary("Adds a node as a learner: it receives the log but does not vote. Promote it once caught up.");
        members.MapPost("/{id}/promote", PromoteAsync).WithName("PromoteMember")
            .WithSummary("Makes a caught-up learner a voter (409 while it lags).");
        members.MapDelete("/{id}", RemoveAsync).WithName("RemoveMember")
            .WithSummary("Removes a member; a leader that removes itself hands over first.");

        var peers = app.MapGroup(PeerPrefix).ExcludeFromDescription().AllowAnonymous();
        peers.MapGet("", ListAsync);
        peers.MapPost("", AddAsync);
        peers.MapPost("/{id}/promote", PromoteAsync);
        peers.MapDelete("/{id}", RemoveAsync);
        return app;
    }

    public static async Task<IResult> ListAsync(HttpContext context, MemberAdmin admin, CancellationToken cancellationToken) =>
        admin.IsLeader ? TypedResults.Ok(admin.View()) : await ForwardAsync(context, admin, "", cancellationToken);

    public static async Task<IResult> AddAsync(AddMemberRequest request, HttpContext context, MemberAdmin admin, CancellationToken cancellationToken)
    {
        if (InvalidId(request.NodeId, "node_id") is { } invalid)
        {
            return invalid;
        }

        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(url.Query) || url.AbsolutePath != "/")
        {
            return Problems.InvalidField("url", "must be the node's base http(s) URL, as its peers reach it (e.g. http://10.0.0.4:8080)");
        }

        var address = Encoding.UTF8.GetBytes(url.ToString().TrimEnd('/'));
        return admin.IsLeader
            ? await admin.ChangeAsync(ConfigChange.AddLearner(request.NodeId!, address), StatusCodes.Status201Created, cancellationToken)
            : await ForwardAsync(context, admin, "", cancellationToken, JsonBody(request));
    }

    public static async Task<IResult> PromoteAsync(string id, HttpContext context, MemberAdmin admin, CancellationToken cancellationToken) =>
        InvalidId(id, "id") ?? (admin.IsLeader
            ? await admin.ChangeAsync(ConfigChange.Promote(id), StatusCodes.Status200OK, cancellationToken)
            : await ForwardAsync(context, admin, $"/{id}/promote", cancellationToken));

    public static async Task<IResult> RemoveAsync(string id, HttpContext context, MemberAdmin admin, CancellationToken cancellationToken) =>
        InvalidId(id, "id") ?? (admin.IsLeader
            ? await admin.ChangeAsync(ConfigChange.Remove(id), StatusCodes.Status200OK, cancellationToken)
            : await ForwardAsync(context, admin, $"/{id}", cancellationToken));

    private static async Task<IResult> ForwardAsync(HttpContext context, MemberAdmin admin, string rest, CancellationToken cancellationToken, byte[]? body = null)
    {
        if (context.Request.Path.StartsWithSegments(PeerPrefix, StringComparison.Ordinal))
        {
            // Sent here as the leader, which this node no longer is: one hop only, the caller retries.
            throw new Consensus.RaftUnavailableException("This node stopped leading before the request reached it; retry.");
        }

        return await admin.ForwardAsync(context, PeerPrefix + rest, body, cancellationToken);
    }

    private static byte[] JsonBody(AddMemberRequest request) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(request, NodeJson.Options);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? InvalidId(string? id, string field) =>
        id is not null && NodeIdPattern().IsMatch(id) ? null : Problems.InvalidField(field, "must be 1-64 letters, digits, '-' or '_' (a node's DistSync__NodeId)");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NodeIdPattern();
}

/// <summary>A node to add as a learner: its id (its <c>DistSync__NodeId</c>) and the base URL its peers reach it at.</summary>
public sealed record AddMemberRequest(string? NodeId, string? Url);
