using DistSync.Node.Cache;
using DistSync.Node.Membership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DistSync.Tests.Cache;

/// <summary>The home role alone, on a fake clock, with a Redis stand-in that says what the scripts would.</summary>
public sealed class CacheHomeTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task Takeover_DuringTheWait_NoDirectoryEntryAndNoGrant_ThenTheFirstRequestIsGranted()
    {
        var time = new FakeTimeProvider();
        var memory = new TakeoverMemory();
        var home = NewHome(time, memory);
        time.Advance(Lease + Margin); // past the wait of a home that has just started

        var first = home.HandleAsync(new HomeRequest(HomeRequestKind.Read, "k", "n2"), CancellationToken.None);
        var second = home.HandleAsync(new HomeRequest(HomeRequestKind.Write, "k", "n2", HasValue: true, Value: "\"w\""), CancellationToken.None);

        // Claimed in Redis, waiting out the previous home's leases: not yet this key's home in anything it shows or does.
        Assert.Equal(1, memory.Claims);
        Assert.Null(home.Describe("k"));
        Assert.Equal(0, home.EntryCount);
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        time.Advance(Lease + Margin);
        var granted = await first.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal((HomeStatus.Ok, LineState.E), (granted.Status, granted.State));
        Assert.True(memory.TakeoverDone);
        var written = await second.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal((HomeStatus.Ok, LineState.M), (written.Status, written.State));
        Assert.Equal("n2", home.Describe("k")?.Owner);
    }

    private static CacheHome NewHome(FakeTimeProvider time, ICacheMemory memory)
    {
        var options = new CacheOptions { Lease = Lease, LeaseMargin = Margin };
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new CacheHome("n1", new OneNodeRing(), memory, new NoPeers(), options, time, new CacheTelemetry(meters, "n1"));
    }

    private sealed class OneNodeRing : ICacheRing
    {
        public ClusterMembership Current { get; } = new(7, ["n1"]);
    }

    private sealed class NoPeers : ICachePeers
    {
        public Task<HomeReply> AskHomeAsync(string home, HomeRequest request, CancellationToken cancellationToken) => throw new CachePeerUnreachableException(home, "no peers here", false);

        public Task<RevokeReply> RevokeAsync(string holder, RevokeRequest request, CancellationToken cancellationToken) => throw new CachePeerUnreachableException(holder, "no peers here", false);
    }

    /// <summary>A key another home held: a takeover is due until this home says it waited.</summary>
    private sealed class TakeoverMemory : ICacheMemory
    {
        public int Claims { get; private set; }

        public bool TakeoverDone { get; private set; }

        public Task<MemoryRead> ReadAsync(string key, long epoch, string home, bool newFence, long nowUnixMs, bool takeoverDone = false)
        {
            Claims++;
            TakeoverDone |= takeoverDone;
            return Task.FromResult(new MemoryRead(false, epoch, !TakeoverDone, "\"v\"", 3, TakeoverDone ? 6 : 5, 0));
        }

        public Task<MemoryWrite> WriteAsync(string key, long epoch, string home, bool hasValue, string? value, long expiresAtUnixMs, long minVersion, long nowUnixMs) =>
            Task.FromResult(new MemoryWrite(false, epoch, !TakeoverDone, 4, 7));

        public Task<HolderWriteResult> HolderWriteAsync(string key, long fence, long version, bool hasValue, string? value, long expiresAtUnixMs, long nowUnixMs) =>
            throw new InvalidOperationException("a home never writes as a holder");
    }
}
