using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DistSync.Node.Consensus;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Locks;

/// <summary>
/// Backup and restore on real processes (docs/operations.md, Backup and restore): a three-node cluster with locks, a
/// session and a topic is saved with <c>GET /admin/snapshot</c>, grants one more lock and is destroyed; a new cluster
/// (its own data folder, cluster id and Redis) is started with the AppHost's <c>--restore</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupRestoreTests : IDisposable
{
    private const long Bump = 1_000_000_000;
    private const long TtlMs = 600_000;
    private readonly string _file = Path.Combine(Path.GetTempPath(), "distsync-tests", $"backup-{Guid.NewGuid():n}.snapshot");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public async Task Restore_NewCluster_HasEveryLockAndSessionAsSaved_TokensAboveTheOldClusters_AndTheQueueWorks()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        string savedLocks;
        JsonElement savedSession;
        long sessionId;
        long issuedAfterBackup;
        SnapshotBackupHeader header;
        await using (var old = await ClusterFixture.StartAsync(new ClusterSettings { ClusterId = "backup-old" }))
        {
            await old.SettledUrlsAsync();
            var locks = new LockClient(old.CreateHttpClient("node1", "writer"));
            sessionId = (await locks.CreateSessionAsync(TtlMs)).SessionId;
            var tokens = new List<long>
            {
                (await locks.AcquireInSessionAsync("br-session", "alice", sessionId)).FencingToken,
                (await locks.AcquireAsync("br-shared", "reader1", "shared", ttlMs: TtlMs)).FencingToken,
                (await locks.AcquireAsync("br-shared", "reader2", "shared", ttlMs: TtlMs)).FencingToken,
                (await locks.AcquireAsync("br-exclusive", "bob", ttlMs: TtlMs)).FencingToken,
            };
            var published = await new QueueClient(old.CreateHttpClient("node2", "writer")).PublishAsync("br-orders", """{"n":1}""", partitions: 4);
            Assert.Equal(HttpStatusCode.OK, published.Code);
            savedLocks = LocksOf(await locks.StateAsync());
            savedSession = (await locks.SessionAsync(sessionId)).Body;

            using var response = await old.CreateHttpClient("node2").GetAsync(new Uri("/admin/snapshot", UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await File.WriteAllBytesAsync(_file, await response.Content.ReadAsByteArrayAsync(ct), ct);
            header = SnapshotBackup.Verify(_file);
            Assert.Equal("backup-old", header.ClusterId);
            Assert.InRange(header.Index, tokens.Max(), long.MaxValue);

            // The old cluster goes on after the backup: its next token is above the backup's index.
            issuedAfterBackup = (await locks.AcquireAsync("br-after", "carol", ttlMs: TtlMs)).FencingToken;
            Assert.InRange(issuedAfterBackup, header.Index + 1, long.MaxValue);
        }

        await using var restored = await ClusterFixture.StartAsync(new ClusterSettings { ClusterId = "backup-new", Restore = _file });
        await restored.SettledUrlsAsync();
        var client = new LockClient(restored.CreateHttpClient("node3", "writer"));
        var restoredLocks = LocksOf(await client.StateAsync());
        var session = (await client.SessionAsync(sessionId)).Body;
        var granted = await client.AcquireAsync("br-new", "dave", ttlMs: TtlMs);

        // Holders, modes, tokens and lease ends (on the restored replicated clock) as saved; nothing granted after the backup.
        Assert.Equal(savedLocks, restoredLocks);
        Assert.DoesNotContain("br-after", restoredLocks, StringComparison.Ordinal);
        Assert.Equal(savedSession.GetProperty("ttl_ms").GetInt64(), session.GetProperty("ttl_ms").GetInt64());
        Assert.Equal(savedSession.GetProperty("expires_at").GetDateTimeOffset(), session.GetProperty("expires_at").GetDateTimeOffset());
        Assert.InRange(session.GetProperty("ttl_remaining_ms").GetInt64(), 1, TtlMs);
        Assert.InRange(granted.FencingToken, Math.Max(issuedAfterBackup, header.Index + Bump) + 1, long.MaxValue);

        // The topic's definition came with the backup; its messages lived in the old cluster's Redis.
        using var admin = restored.CreateHttpClient("node1");
        var stats = await admin.GetFromJsonAsync<JsonElement>("/queue/stats", ct);
        Assert.Contains(stats.GetProperty("topics").EnumerateArray(), t => t.GetProperty("topic").GetString() == "br-orders" && t.GetProperty("partitions").GetInt32() == 4);
        Assert.InRange(stats.GetProperty("ring_epoch").GetInt64(), Bump, long.MaxValue);
        var queue = new QueueClient(restored.CreateHttpClient("node2", "writer"));
        var publish = await queue.PublishAsync("br-orders", """{"n":2}""");
        var consumed = await queue.ConsumeAsync("br-orders", waitSec: 5);
        Assert.Equal(HttpStatusCode.OK, publish.Code);
        Assert.Equal(HttpStatusCode.OK, consumed.Code);
        Assert.Equal(2, consumed.Body.GetProperty("payload").GetProperty("n").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await queue.AckAsync("br-orders", consumed.Id, consumed.Body.GetProperty("receipt").GetString())).Code);
    }

    /// <summary>The <c>br-*</c> locks of <c>/locks/state</c>, as JSON text in name order.</summary>
    private static string LocksOf(JsonElement state) => JsonSerializer.Serialize(state.GetProperty("locks").EnumerateObject()
        .Where(l => l.Name.StartsWith("br-", StringComparison.Ordinal)).OrderBy(l => l.Name, StringComparer.Ordinal)
        .ToDictionary(l => l.Name, l => l.Value));
}
