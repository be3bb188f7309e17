using System.Net.Http.Json;
using System.Security.Cryptography;
using DistSync.Node.Hosting;
using DistSync.Node.Http;
using Microsoft.Extensions.Options;

namespace DistSync.Node.Consensus;

/// <summary>
/// Settles how a node with an empty data folder enters its cluster, before Raft opens a log (see <see cref="ClusterFounding"/>).
/// </summary>
/// <remarks>
/// <para>
/// <b>Joining</b> (<c>ClusterState=Existing</c>): a member must confirm, from the committed configuration, that this node's
/// id is not a voter. A voter that lost its log must not come back under its old name: it could vote twice in a term, or
/// help elect a leader that lacks entries its old self acknowledged. Once the cluster has removed its old self (or never
/// knew it), the node starts as a learner of its own and waits for the leader; <c>POST /cluster/members</c> adds it.
/// </para>
/// <para>
/// <b>Auto</b> (a deployment whose volumes start empty once): a founder asks every other founder. If all answer that they
/// are still deciding, it founds the cluster, and records the nonce each one answered with. A founder that finds a member
/// already founded founds too if that member saw this very process deciding (its nonce, never written anywhere, proves it
/// has not voted since); otherwise its folder was lost, and it joins. A founder that cannot reach every founder waits.
/// </para>
/// </remarks>
public sealed partial class ClusterAdmission(
    IOptions<NodeOptions> options,
    ClusterFounding founding,
    PeerDirectory peers,
    PeerCredentials credentials,
    ILogger<ClusterAdmission> logger)
{
    public const string MembersPath = "/internal/raft/members";

    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SayEvery = TimeSpan.FromSeconds(10);
    private readonly NodeOptions _node = options.Value;
    private volatile bool _joining;

    /// <summary>Drawn per process: what this node answers while it decides (see the remarks).</summary>
    public string Nonce { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>What this node says of itself before its log is open: <c>deciding</c> (Auto), <c>joining</c>, or null once settled.</summary>
    public string? UnsettledState => founding.Settled ? null : Deciding ? "deciding" : "joining";

    private bool Deciding => _node.ClusterState == ClusterState.Auto && !_joining && founding.ConfiguredFounders.Contains(_node.NodeId);

    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        using var http = PeerHttp.CreateClient(TimeSpan.FromSeconds(2));
        var said = DateTime.MinValue;
        while (!founding.Settled)
        {
            var wait = Deciding ? await DecideAsync(http, cancellationToken) : await JoinAsync(http, cancellationToken);
            if (wait is not null && DateTime.UtcNow - said > SayEvery)
            {
                LogWaiting(wait);
                said = DateTime.UtcNow;
            }

            if (!founding.Settled)
            {
                await Task.Delay(RetryEvery, cancellationToken);
            }
        }

        if (credentials.ClusterId is { } id)
        {
            ClusterIdentity.Record(_node.ResolveDataDir(), id);
        }

        LogSettled(founding.Joined ? "joins the cluster as a new learner" : "founds the cluster", string.Join(",", founding.Founders));
    }

    /// <summary>One round of Auto's check; returns what it waits for, or null once settled or turned to joining.</summary>
    private async Task<string?> DecideAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var others = founding.ConfiguredFounders.Where(id => id != _node.NodeId).ToList();
        var answers = await Task.WhenAll(others.Select(id => AskAsync(http, id, committed: false, cancellationToken)));
        var silent = others.Where((_, i) => answers[i] is null).ToList();
        if (silent.Count > 0)
        {
            return $"an empty data folder with DistSync__ClusterState=Auto: every founder must answer before this node founds or joins; no answer yet from {string.Join(", ", silent)}";
        }

        var members = answers.Where(a => a!.State == "member").ToList();
        if (members.Count > 0)
        {
            // Any founder that saw this process deciding proves it; one that founded the same way may have seen it too,
            // so the proofs are passed on: a later founder may ask any of them.
            var seen = members.SelectMany(m => m!.SeenDeciding ?? new Dictionary<string, string>())
                .GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
            if (seen.GetValueOrDefault(_node.NodeId) == Nonce)
            {
                founding.Found(seen);
                return null;
            }

            LogFoundedWithoutThisNode(members[0]!.NodeId);
            _joining = true;
            return null;
        }

        founding.Found(answers.ToDictionary(a => a!.NodeId, a => a!.Nonce ?? "", StringComparer.Ordinal));
        return null;
    }

    /// <summary>One round of joining: settled once a member confirms this node's old self is no voter.</summary>
    private async Task<string?> JoinAsync(HttpClient http, CancellationToken cancellationToken)
    {
        foreach (var id in peers.SeedIds.Where(id => id != _node.NodeId))
        {
            if (await AskAsync(http, id, committed: true, cancellationToken) is not { State: "member" } member)
            {
                continue;
            }

            if (member.Voters.Contains(_node.NodeId))
            {
                return $"{_node.NodeId}'s data folder {_node.ResolveDataDir()} is empty, but the cluster still counts {_node.NodeId} as a voter (said {member.NodeId}). "
                    + "A voter that lost its log must not vote again under its old name, so this node waits. Remove its old self "
                    + $"(DELETE /cluster/members/{_node.NodeId} as admin, or the dashboard's Replace command); it then joins as a new learner.";
            }

            founding.Join(member.Founders);
            return null;
        }

        return $"an empty data folder in an existing cluster (DistSync__ClusterState={_node.ClusterState}): waiting for a member to answer "
            + $"({string.Join(", ", peers.SeedIds.Where(id => id != _node.NodeId))})";
    }

    private async Task<ClusterEntryAnswer?> AskAsync(HttpClient http, string peer, bool committed, CancellationToken cancellationToken)
    {
        if (!peers.TryGetAddress(peer, out var address))
        {
            return null;
        }

        try
        {
            using var request = PeerHttp.Request(HttpMethod.Get, new Uri(address, $"{MembersPath}?committed={(committed ? "true" : "false")}"), credentials);
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<ClusterEntryAnswer>(NodeJson.Options, cancellationToken) : null;
        }
        catch (Exception ex) when ((PeerHttp.IsUnreachable(ex) || ex is System.Text.Json.JsonException) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    [LoggerMessage(2014, LogLevel.Warning, "Not opening the Raft log yet: {Reason}")]
    private partial void LogWaiting(string reason);

    [LoggerMessage(2015, LogLevel.Information, "Data folder settled: this node {How} (founders {Founders})")]
    private partial void LogSettled(string how, string founders);

    [LoggerMessage(2016, LogLevel.Warning, "The cluster was founded without this node ({Member} is a member and never saw this process deciding): its data folder was lost; it joins as a new learner")]
    private partial void LogFoundedWithoutThisNode(string member);
}

/// <summary>
/// A node's answer to <see cref="ClusterAdmission.MembersPath"/>: <c>member</c> (its log is open; with <c>committed</c>, the
/// configuration is the committed one, read after a read index), <c>deciding</c> or <c>joining</c> (an empty folder, not
/// yet settled; <see cref="Nonce"/> names this process).
/// </summary>
public sealed record ClusterEntryAnswer(
    string NodeId,
    string State,
    string? Nonce,
    IReadOnlyList<string> Founders,
    IReadOnlyList<string> Voters,
    IReadOnlyList<string> Learners,
    IReadOnlyDictionary<string, string>? SeenDeciding);
