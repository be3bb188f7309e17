using System.Net.Http.Headers;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using DistSync.Raft;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistSync.Node.Membership;

/// <summary>
/// Membership changes and the members' view, made on the leader: it alone knows how far each member's log is, and
/// proposes changes. A node that does not lead hands the request to the leader's twin route for peers
/// (<see cref="MembersApi.PeerPrefix"/>) and relays its answer as it is, so the answer is the same wherever it is asked.
/// </summary>
public sealed class MemberAdmin(RaftHost raft, MembershipStateMachine membership, PeerDirectory peers, PeerCredentials credentials) : IDisposable
{
    private readonly HttpClient _http = PeerHttp.CreateClient(TimeSpan.FromSeconds(15));

    public bool IsLeader => raft.Status?.Role == RaftRole.Leader;

    /// <summary>Every member with its role, address and how far its log is (the leader's view).</summary>
    public MembersResponse View()
    {
        var status = raft.Status ?? throw new RaftUnavailableException("The Raft log is still being loaded.");
        var config = status.Configuration;
        var members = config.Voters.Select(id => (Id: id, Role: "voter")).Concat(config.Learners.Select(id => (Id: id, Role: "learner")))
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .Select(m =>
            {
                var self = m.Id == status.Id;
                var match = self ? status.LastIndex : status.Progress.TryGetValue(m.Id, out var progress) ? progress.Match : 0;
                var reachable = self || (status.Progress.TryGetValue(m.Id, out var p) && p.RecentActive);
                return new MemberView(m.Id, m.Role, AddressOf(m.Id), m.Id == status.LeaderId, match, Math.Max(0, status.Commit - match), reachable);
            })
            .ToList();
        var ring = membership.Current;
        return new MembersResponse(status.LeaderId, status.Term, status.Commit, members, new RingView(ring.Epoch, ring.Members));
    }

    /// <summary>Proposes <paramref name="change"/> here (the leader) and answers once it is applied.</summary>
    public async Task<IResult> ChangeAsync(ConfigChange change, int createdStatus, CancellationToken cancellationToken)
    {
        var (result, _) = await raft.ChangeConfigurationAsync(change, cancellationToken);
        switch (result.Status)
        {
            case ProposeStatus.Accepted:
                var view = View();
                return createdStatus == StatusCodes.Status201Created
                    ? TypedResults.Created($"/cluster/members/{change.NodeId}", view)
                    : TypedResults.Ok(view);
            case ProposeStatus.ConfigChangeRefused:
                return Refused(result);
            case ProposeStatus.TooLarge:
                return Problems.InvalidField("url", $"must be at most {ConfigChange.MaxContextBytes} bytes");
            default:
                // Not the leader any more, handing over, or overloaded: nothing was appended.
                throw new RaftUnavailableException($"The change was not appended ({result.Status}); retry.", result.LeaderHint ?? raft.LeaderId);
        }
    }

    /// <summary>Relays the request to the leader's peer route and its answer back; 503 when no leader is known.</summary>
    public async Task<IResult> ForwardAsync(HttpContext context, string path, byte[]? body, CancellationToken cancellationToken)
    {
        if (raft.LeaderId is not { } leader || leader == raft.NodeId || !peers.TryGetAddress(leader, out var address))
        {
            throw new RaftUnavailableException("No leader is known to make or show membership changes; retry shortly.", raft.LeaderId);
        }

        var content = body is null ? null : new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var request = PeerHttp.Request(new HttpMethod(context.Request.Method), new Uri(address, path), credentials, content);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var type = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            if (response.Headers.Location is { } location)
            {
                context.Response.Headers.Location = location.ToString();
            }

            return new Relayed(answer, type, (int)response.StatusCode);
        }
        catch (Exception ex) when (PeerHttp.IsUnreachable(ex) && !cancellationToken.IsCancellationRequested)
        {
            // A change may have reached the leader before the connection broke.
            throw new RaftUnavailableException($"The leader {leader} did not answer: {ex.Message}", leader, mayHaveBeenApplied: context.Request.Method != HttpMethods.Get);
        }
    }

    public void Dispose() => _http.Dispose();

    private string? AddressOf(string id) =>
        id == raft.NodeId ? null : peers.TryGetAddress(id, out var uri) ? uri.ToString().TrimEnd('/') : null;

    private static ProblemHttpResult Refused(ProposeResult result)
    {
        var status = result.Refusal switch
        {
            ConfigChangeRefusal.InvalidNodeId => StatusCodes.Status400BadRequest,
            ConfigChangeRefusal.NotMember => StatusCodes.Status404NotFound,
            _ => StatusCodes.Status409Conflict,
        };
        return TypedResults.Problem(statusCode: status, title: "Membership change refused", detail: result.Reason,
            extensions: new Dictionary<string, object?> { ["refusal"] = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(result.Refusal.ToString()) });
    }

    /// <summary>The leader's answer, status and body as they came.</summary>
    private sealed class Relayed(byte[] body, string contentType, int status) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = contentType;
            await httpContext.Response.Body.WriteAsync(body);
        }
    }
}

/// <summary>The cluster's members as the leader sees them, and the ring they make.</summary>
public sealed record MembersResponse(string? LeaderId, long Term, long CommitIndex, IReadOnlyList<MemberView> Members, RingView Ring);

/// <summary>
/// One member: <c>voter</c> or <c>learner</c>, its address (null for the node answering, and for a founder known to a
/// node only by its own environment), and how far its log is: <see cref="Lag"/> entries behind the commit index.
/// </summary>
public sealed record MemberView(string Id, string Role, string? Url, bool Leader, long MatchIndex, long Lag, bool Reachable);

public sealed record RingView(long Epoch, IReadOnlyList<string> Members);
