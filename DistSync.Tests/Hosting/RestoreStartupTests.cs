using System.Net;
using System.Net.Http.Headers;
using DistSync.Node.Consensus;
using DistSync.Node.Hosting;
using DistSync.Node.Membership;
using DistSync.Raft;
using DistSync.Tests.Infrastructure;

namespace DistSync.Tests.Hosting;

/// <summary>
/// <c>GET /admin/snapshot</c> and <c>DistSync__RestoreFrom</c> on a real node in this process (real disk, real Redis):
/// a backup restored into an empty folder, a restart of the restored folder, and folders a restore must not touch.
/// </summary>
[Collection(ClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RestoreStartupTests : IDisposable
{
    private const long Bump = 1_000_000_000;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "distsync-tests", $"restore-{Guid.NewGuid():n}");

    public RestoreStartupTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task RestoreFrom_IntoAFolderThatHoldsState_IsRefused_AndTheFolderIsLeftAsItWas()
    {
        var file = await SyntheticBackupAsync();
        var folder = Path.Combine(_root, "node");
        ClusterIdentity.Record(folder, "old-cluster");
        var before = Directory.GetFileSystemEntries(folder);

        var error = await Record.ExceptionAsync(async () =>
        {
            await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?> { ["DistSync:DataDir"] = folder, ["DistSync:RestoreFrom"] = file });
        });

        var refused = Assert.IsType<ClusterIdentityException>(error);
        Assert.Contains($"data folder {folder} already holds state", refused.Message, StringComparison.Ordinal);
        Assert.Contains("empty the folder", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before.Order(), Directory.GetFileSystemEntries(folder).Where(e => Path.GetFileName(e) != "LOCK").Order());
    }

    [Fact]
    public async Task RestoreFrom_AFileThatIsNoBackup_IsRefusedBeforeAnythingIsWritten()
    {
        var file = Path.Combine(_root, "not-a-backup.snapshot");
        await File.WriteAllTextAsync(file, "hello", TestContext.Current.CancellationToken);
        var folder = Path.Combine(_root, "empty");

        var error = await Record.ExceptionAsync(async () =>
        {
            await using var node = await InProcessNode.StartAsync(new Dictionary<string, string?> { ["DistSync:DataDir"] = folder, ["DistSync:RestoreFrom"] = file });
        });

        Assert.Contains("cannot be restored", Assert.IsType<ClusterIdentityException>(error).Message, StringComparison.Ordinal);
        Assert.False(ClusterIdentity.HoldsState(folder), "the folder was written to");
    }

    [Fact]
    public async Task Backup_RestoredIntoAnEmptyFolder_KeepsLocksAndTokens_NewTokensAboveTheBump_ARestartStartsFromIt()
    {
        var file = Path.Combine(_root, "backup.snapshot");
        long oldToken;
        long backupIndex;
        const string WriterToken = "writer-token-0123456789abcdef";
        await using (var source = await InProcessNode.StartAsync(new Dictionary<string, string?>
        {
            ["DistSync:Auth:Tokens:writer:Secret"] = WriterToken,
            ["DistSync:Auth:Tokens:writer:Role"] = "writer",
        }))
        {
            var locks = new LockClient(Admin(source));
            oldToken = (await locks.AcquireAsync("backup-lock", "holder-1", ttlMs: 600_000)).FencingToken;

            using var anonymous = source.CreateClient();
            using var refused = await anonymous.GetAsync(new Uri("/admin/snapshot", UriKind.Relative), TestContext.Current.CancellationToken);
            using var writer = source.CreateClient();
            writer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WriterToken);
            using var forbidden = await writer.GetAsync(new Uri("/admin/snapshot", UriKind.Relative), TestContext.Current.CancellationToken);
            using var response = await Admin(source).GetAsync(new Uri("/admin/snapshot", UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
            await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
            var header = SnapshotBackup.Verify(file);
            backupIndex = header.Index;
            Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Equal(SnapshotBackup.FileName(header), response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
            Assert.Equal("node1", header.NodeId);
            Assert.InRange(header.Index, oldToken, long.MaxValue);
        }

        var folder = Path.Combine(_root, "restored");
        var settings = new Dictionary<string, string?> { ["DistSync:DataDir"] = folder, ["DistSync:RestoreFrom"] = file };
        await using (var restored = await InProcessNode.StartAsync(settings))
        {
            var locks = new LockClient(Admin(restored));
            var held = await locks.ResourceAsync("backup-lock");
            var next = await locks.AcquireAsync("another-lock", "holder-2", ttlMs: 60_000);

            Assert.Equal(HttpStatusCode.OK, held.Code);
            Assert.Contains("holder-1", held.Body.ToString(), StringComparison.Ordinal);
            Assert.Contains(oldToken.ToString(System.Globalization.CultureInfo.InvariantCulture), held.Body.ToString(), StringComparison.Ordinal);
            Assert.InRange(next.FencingToken, backupIndex + Bump + 1, long.MaxValue);
            Assert.Contains(restored.Logs.Lines, m => m.Contains($"Restored {file}", StringComparison.Ordinal));
        }

        // The same setting again (a restart under the AppHost): the folder holds this file's restore, so it starts from it.
        await using (var again = await InProcessNode.StartAsync(settings))
        {
            var held = await new LockClient(Admin(again)).ResourceAsync("backup-lock");
            Assert.Contains("holder-1", held.Body.ToString(), StringComparison.Ordinal);
        }

        // Another backup at the same path is not what the folder holds: refused.
        await File.WriteAllBytesAsync(file, await File.ReadAllBytesAsync(await SyntheticBackupAsync(), TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var other = await InProcessNode.StartAsync(settings);
        });
        Assert.IsType<ClusterIdentityException>(error);
    }

    private static HttpClient Admin(InProcessNode node)
    {
        var http = node.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", InProcessNode.AdminToken);
        return http;
    }

    /// <summary>A valid backup of a cluster that held nothing (its membership at epoch 3).</summary>
    private async Task<string> SyntheticBackupAsync()
    {
        var data = RaftHost.CombineMachines([(MembershipStateMachine.CommandTag, "{\"Epoch\":3,\"Members\":[\"x\"]}"u8.ToArray())]);
        var snapshot = new Snapshot(new SnapshotMetadata(42, 3, ["x"], []), data);
        var file = Path.Combine(_root, $"{Guid.NewGuid():n}.snapshot");
        await using var stream = File.Create(file);
        await SnapshotBackup.WriteAsync(stream, new SnapshotBackupHeader("old", "x", 42, 3, ["x"], [], DateTimeOffset.UnixEpoch, data.Length), snapshot,
            TestContext.Current.CancellationToken);
        return file;
    }
}
