using System.Text.Json;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Membership;
using DistSync.Raft;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistSync.Tests.Membership;

/// <summary>What a restore makes of a backup's snapshot (<see cref="ClusterRestore.ForNewCluster"/>, <see cref="MembershipRestore"/>). No server.</summary>
public sealed class ClusterRestoreTests
{
    private const long Bump = 1_000_000_000;

    [Fact]
    public void MembershipRewrite_OldClusterWithLearnersAndAddresses_NewFoundersOnly_EpochBumped()
    {
        var old = Machine("old1", []);
        old.Restore(JsonSerializer.SerializeToUtf8Bytes(new
        {
            Epoch = 17L,
            Members = new[] { "old1", "old2" },
            Voters = new[] { "old1", "old2", "old3" },
            Learners = new[] { "old4" },
            Addresses = new Dictionary<string, string> { ["old4"] = "http://10.0.0.4:8001/" },
        }));

        var rewritten = MembershipRestore.ForNewCluster(old.Snapshot(), ["node3", "node1", "node2"], Bump);
        var restored = Machine("node1", ["node2", "node3"]);
        restored.Restore(rewritten);

        Assert.Equal(17 + Bump, restored.Current.Epoch);
        Assert.Equal(["node1", "node2", "node3"], restored.Current.Members);
        Assert.Equal(["node1", "node2", "node3"], restored.Voters);
        Assert.Empty(restored.Learners);
        Assert.Empty(restored.Addresses);
    }

    [Fact]
    public void MembershipRewrite_NoSavedPart_StartsAtTheBump()
    {
        var restored = Machine("node1", []);
        restored.Restore(MembershipRestore.ForNewCluster([], ["node1"], 5));

        Assert.Equal(5, restored.Current.Epoch);
        Assert.Equal(["node1"], restored.Current.Members);
    }

    [Fact]
    public void ForNewCluster_BumpsIndexAndTerm_FoundersVote_OtherPartsUnchanged()
    {
        byte[] clock = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] locks = [9, 9, 9];
        byte[] topics = [4, 2];
        var membership = JsonSerializer.SerializeToUtf8Bytes(new { Epoch = 3L, Members = new[] { "a", "b" }, Voters = new[] { "a", "b" } });
        var backup = new Snapshot(new SnapshotMetadata(500, 4, ["a", "b", "c"], ["d"]),
            RaftHost.CombineMachines([(0, clock), (1, locks), (MembershipStateMachine.CommandTag, membership), (3, topics)]));

        var restored = ClusterRestore.ForNewCluster(backup, ["node2", "node1"], Bump);

        Assert.Equal(500 + Bump, restored.Metadata.Index);
        Assert.Equal(4 + Bump, restored.Metadata.Term);
        Assert.Equal(["node1", "node2"], restored.Metadata.Voters);
        Assert.Empty(restored.Metadata.Learners);
        var parts = RaftHost.SplitMachines(restored.Data);
        Assert.Equal([0, 1, MembershipStateMachine.CommandTag, 3], parts.Select(p => p.Tag));
        Assert.Equal(clock, parts[0].Data);
        Assert.Equal(locks, parts[1].Data);
        Assert.Equal(topics, parts[3].Data);
        var rewritten = JsonDocument.Parse(parts[2].Data).RootElement;
        Assert.Equal(3 + Bump, rewritten.GetProperty("Epoch").GetInt64());
        Assert.Equal(["node1", "node2"], rewritten.GetProperty("Members").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void ForNewCluster_SameBackupOnEachFounder_SameBytes()
    {
        var backup = new Snapshot(new SnapshotMetadata(9, 2, ["x"], []),
            RaftHost.CombineMachines([(0, new byte[8]), (MembershipStateMachine.CommandTag, JsonSerializer.SerializeToUtf8Bytes(new { Epoch = 1L, Members = new[] { "x" } }))]));

        var first = ClusterRestore.ForNewCluster(backup, ["n1", "n2", "n3"], Bump);
        var second = ClusterRestore.ForNewCluster(backup, ["n3", "n1", "n2"], Bump);

        Assert.Equal(first.Data, second.Data);
        Assert.Equal(first.Metadata.Voters, second.Metadata.Voters);
    }

    private static MembershipStateMachine Machine(string self, string[] peers)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            peers.Select((p, i) => KeyValuePair.Create($"services:{p}:http:0", (string?)$"http://127.0.0.1:{i + 1}"))).Build();
        var options = Microsoft.Extensions.Options.Options.Create(new NodeOptions { NodeId = self });
        var directory = new PeerDirectory(configuration, options);
        return new MembershipStateMachine(directory, new ClusterFounding(options, directory), NullLogger<MembershipStateMachine>.Instance);
    }
}
