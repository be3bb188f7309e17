using DistSync.Node.Membership;

namespace DistSync.Node.Cache;

/// <summary>
/// The home role: for each key the ring gives this node, the directory entry, and each key's transitions one at a
/// time. A write is granted only after every other copy is invalidated and acknowledged, or its lease has run out
/// (an unreachable holder is waited out, never guessed dead); a read of a line owned elsewhere first downgrades the
/// owner. Every grant goes through one Redis script that checks this home's claim on the key, so a home deposed by a
/// ring change can grant nothing once its successor has claimed the key.
/// <para>
/// Taking a key over: the new home claims the key in Redis (the old home's scripts are refused from then on), waits
/// one lease, and then voids the old owner's fence, before granting anything, rather than rebuilding the entry by asking every node. A rebuild needs an
/// answer from every node, and the ring moves precisely because one stopped answering, so it would wait out that
/// node's lease anyway; the wait is simpler and needs no message. Keys whose claim is already this node's, or that
/// no home ever claimed, need no wait. A home that restarted does not know whom it granted to, so it grants nothing
/// for one lease after it starts.
/// </para>
/// </summary>
public sealed class CacheHome
{
    private readonly string _self;
    private readonly ICacheRing _ring;
    private readonly ICacheMemory _memory;
    private readonly ICachePeers _peers;
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly CacheTelemetry _telemetry;
    private readonly CacheDirectory _directory = new();
    private readonly KeyedLock _keys = new();
    private readonly long _readyAtMs;

    public CacheHome(string self, ICacheRing ring, ICacheMemory memory, ICachePeers peers, CacheOptions options, TimeProvider time, CacheTelemetry telemetry)
    {
        (_self, _ring, _memory, _peers, _options, _time, _telemetry) = (self, ring, memory, peers, options, time, telemetry);
        _readyAtMs = NowMs + LeaseMs + MarginMs;
    }

    /// <summary>This node's own lines, revoked without a message when this node is both home and holder.</summary>
    public CacheNode? Local { get; set; }

    /// <summary>A planted bug for the checkers' tests: a write stops waiting for its first holder's invalidation ack.</summary>
    internal bool SkipOneInvalidationAck { get; set; }

    private long LeaseMs => (long)_options.Lease.TotalMilliseconds;

    private long MarginMs => (long)_options.LeaseMargin.TotalMilliseconds;

    private long NowMs => _time.GetTimestamp() * 1000 / _time.TimestampFrequency;

    private long NowUnixMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A peer's request: served under the membership as this node holds it now, read once.</summary>
    public Task<HomeReply> HandleAsync(HomeRequest request, CancellationToken cancellationToken) => HandleAsync(request, _ring.Current, cancellationToken);

    /// <summary>
    /// Serves the request as the key's home in <paramref name="membership"/>'s epoch, from start to end, whatever the ring
    /// does meanwhile: a newer home's claim in Redis refuses this one's scripts, and that home waits this one's leases out.
    /// </summary>
    public async Task<HomeReply> HandleAsync(HomeRequest request, ClusterMembership membership, CancellationToken cancellationToken)
    {
        var epoch = membership.Epoch;
        var home = CacheRing.HomeOf(membership, request.Key);
        if (home != _self)
        {
            return HomeReply.NotHome(epoch, home);
        }

        using (await _keys.LockAsync(request.Key, cancellationToken))
        {
            if (NowMs < _readyAtMs)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_readyAtMs - NowMs), _time, CancellationToken.None);
            }

            try
            {
                // A second pass when a script finds that another home claimed the key since this entry's claim (its
                // hash had expired, say): claim again, which waits that home's leases out.
                for (var pass = 0; ; pass++)
                {
                    var entry = await ClaimAsync(request.Key, epoch, cancellationToken);
                    try
                    {
                        return request.Kind == HomeRequestKind.Read
                            ? await ReadAsync(entry, request, epoch, cancellationToken)
                            : await WriteAsync(entry, request, epoch, cancellationToken);
                    }
                    catch (TakeoverDueException) when (pass == 0)
                    {
                        entry.Epoch = -1;
                    }
                }
            }
            catch (StaleHomeException stale)
            {
                return HomeReply.NotHome(stale.StoredEpoch, null);
            }
            catch (TakeoverDueException)
            {
                return HomeReply.NotHome(epoch, null);
            }
        }
    }

    /// <summary>The directory entry of a key this node is (or was) home of, for <c>/cache/lines</c>.</summary>
    public (string? Owner, IReadOnlyDictionary<string, long> SharersLeaseLeftMs)? Describe(string key)
    {
        lock (_directory)
        {
            if (_directory.Find(key) is not { } entry)
            {
                return null;
            }

            var now = NowMs;
            entry.Prune(now);
            return (entry.Owner, entry.Sharers.ToDictionary(s => s.Key, s => s.Value - now, StringComparer.Ordinal));
        }
    }

    /// <summary>The epoch in which this node holds the key's entry as its home (claimed, any takeover finished); null when none.</summary>
    internal long? ClaimedEpoch(string key)
    {
        lock (_directory)
        {
            return _directory.Find(key) is { Epoch: >= 0 } entry ? entry.Epoch : null;
        }
    }

    public int EntryCount
    {
        get
        {
            lock (_directory)
            {
                return _directory.Count;
            }
        }
    }

    /// <summary>Forgets entries nobody holds a lease on (periodically, so the directory stays as small as what is cached).</summary>
    public int Sweep()
    {
        lock (_directory)
        {
            return _directory.Sweep(NowMs, _keys.IsHeld);
        }
    }

    /// <summary>
    /// This home's entry for the key, claimed in Redis for <paramref name="epoch"/>. Until a takeover's wait is over the
    /// node is not the key's home in anything: no entry (it would show this node as home and hold holders it has not
    /// waited out), no grant (the key's lock is held), no new fence (the script gives none while a takeover is due).
    /// </summary>
    private async Task<DirectoryEntry> ClaimAsync(string key, long epoch, CancellationToken cancellationToken)
    {
        lock (_directory)
        {
            if (_directory.Find(key) is { } claimed && claimed.Epoch == epoch)
            {
                return claimed;
            }
        }

        var claim = await _memory.ReadAsync(key, epoch, _self, newFence: false, NowUnixMs);
        if (claim.Stale)
        {
            throw new StaleHomeException(claim.StoredEpoch);
        }

        // Another node was the key's home (or this node's own takeover was cut short): it may have granted leases
        // that are still running. Once they have ended, a new fence stops its owner's writes (its write-backs until
        // then still land). A claim of our own that completed needs no wait: this entry still knows whom we granted to.
        if (claim.Takeover)
        {
            lock (_directory)
            {
                _directory.Remove(key);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(LeaseMs + MarginMs), _time, CancellationToken.None);
            var fenced = await _memory.ReadAsync(key, epoch, _self, newFence: false, NowUnixMs, takeoverDone: true);
            if (fenced.Stale)
            {
                throw new StaleHomeException(fenced.StoredEpoch);
            }

            // Another home claimed the key during the wait: it may grant from then on, and this wait did not cover it.
            if (fenced.Takeover)
            {
                throw new TakeoverDueException();
            }
        }

        lock (_directory)
        {
            var entry = _directory.GetOrAdd(key);
            entry.Epoch = epoch;
            return entry;
        }
    }

    private async Task<HomeReply> ReadAsync(DirectoryEntry entry, HomeRequest request, long epoch, CancellationToken cancellationToken)
    {
        Prune(entry);
        if (request.Holding is LineState.E or LineState.M && entry.Owner == request.Requester)
        {
            // The owner renews. The script still runs: it proves this node is still the key's home.
            var check = Checked(await _memory.ReadAsync(request.Key, epoch, _self, newFence: false, NowUnixMs));

            if (check.Fence == request.HoldingFence)
            {
                lock (_directory)
                {
                    entry.RenewOwner(NowMs + LeaseMs + MarginMs);
                }

                return new HomeReply(HomeStatus.Ok, request.Holding, Fence: check.Fence, LeaseMs: LeaseMs, Renewed: true, Epoch: epoch);
            }
        }

        var revokedOwner = false;
        if (entry.Owner is { } owner && owner != request.Requester)
        {
            var reply = await RevokeAsync(owner, request.Key, RevokeKind.Downgrade, entry.OwnerLeaseUntilMs, cancellationToken);
            lock (_directory)
            {
                entry.OwnerDowngraded(reply?.Held == true);
            }

            revokedOwner = true;
        }

        Prune(entry);
        bool alone;
        lock (_directory)
        {
            alone = entry.HoldersOtherThan(request.Requester).Count == 0;
        }

        // A new owner gets a new fence; so does a downgrade, so that a write the old owner still had on its way to
        // Redis either landed before this read or is refused.
        var read = Checked(await _memory.ReadAsync(request.Key, epoch, _self, newFence: alone || revokedOwner, NowUnixMs));

        var state = alone ? LineState.E : LineState.S;
        lock (_directory)
        {
            var until = NowMs + LeaseMs + MarginMs;
            if (alone)
            {
                entry.GrantOwner(request.Requester, until);
            }
            else
            {
                entry.GrantShared(request.Requester, until);
            }
        }

        return new HomeReply(HomeStatus.Ok, state, read.Value, read.Version, read.Fence, read.ExpiresAtUnixMs, LeaseMs, Epoch: epoch);
    }

    private async Task<HomeReply> WriteAsync(DirectoryEntry entry, HomeRequest request, long epoch, CancellationToken cancellationToken)
    {
        Prune(entry);
        IReadOnlyList<(string Node, long LeaseUntilMs, bool IsOwner)> holders;
        lock (_directory)
        {
            holders = entry.HoldersOtherThan(request.Requester);
        }

        var revokes = holders.Select(h => RevokeAsync(h.Node, request.Key, RevokeKind.Invalidate, h.LeaseUntilMs, cancellationToken)).ToList();
        if (SkipOneInvalidationAck && revokes.Count > 0)
        {
            revokes.RemoveAt(0); // sent, but not waited for: that holder may serve its old copy after this write returns
        }

        var replies = await Task.WhenAll(revokes);
        lock (_directory)
        {
            foreach (var holder in holders)
            {
                entry.Invalidated(holder.Node);
            }
        }

        var minVersion = Math.Max(request.HoldingVersion, replies.Max(r => r?.Version) ?? 0);
        var write = await _memory.WriteAsync(request.Key, epoch, _self, request.HasValue, request.Value, request.ExpiresAtUnixMs, minVersion, NowUnixMs);
        if (write.Stale)
        {
            throw new StaleHomeException(write.StoredEpoch);
        }

        if (write.Takeover)
        {
            throw new TakeoverDueException();
        }

        lock (_directory)
        {
            entry.Clear();
            entry.GrantOwner(request.Requester, NowMs + LeaseMs + MarginMs);
        }

        return new HomeReply(HomeStatus.Ok, LineState.M, request.HasValue ? request.Value : null, write.Version, write.Fence, request.ExpiresAtUnixMs, LeaseMs, Epoch: epoch);
    }

    /// <summary>
    /// Takes the line from one holder: asks until it answers, or until its lease has ended (then it has stopped
    /// serving on its own, and null comes back). Never gives up earlier: that would be guessing it dead.
    /// </summary>
    private async Task<RevokeReply?> RevokeAsync(string holder, string key, RevokeKind kind, long leaseUntilMs, CancellationToken cancellationToken)
    {
        using var activity = _telemetry.StartInvalidate(key, holder, kind);
        var attempts = 0;
        while (true)
        {
            attempts++;
            try
            {
                RevokeReply reply;
                if (holder == _self && Local is { } local)
                {
                    reply = await local.RevokeAsync(new RevokeRequest(key, kind, _self), cancellationToken);
                }
                else
                {
                    using var timeout = new CancellationTokenSource(_options.RevokeTimeout, _time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                    reply = await _peers.RevokeAsync(holder, new RevokeRequest(key, kind, _self), linked.Token);
                }

                _telemetry.Invalidated(activity, kind, "acknowledged", attempts);
                return reply;
            }
            catch (Exception ex) when (ex is CachePeerUnreachableException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                var left = leaseUntilMs - NowMs;
                if (left <= 0)
                {
                    _telemetry.Invalidated(activity, kind, "lease_expired", attempts);
                    return null;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(left, 50)), _time, cancellationToken);
            }
        }
    }

    private static MemoryRead Checked(MemoryRead read) =>
        read.Stale ? throw new StaleHomeException(read.StoredEpoch) : read.Takeover ? throw new TakeoverDueException() : read;

    private void Prune(DirectoryEntry entry)
    {
        lock (_directory)
        {
            entry.Prune(NowMs);
        }
    }

    private sealed class TakeoverDueException() : Exception("Another home claimed the key since this home's claim.");

    private sealed class StaleHomeException(long storedEpoch) : Exception($"A home of epoch {storedEpoch} has claimed the key.")
    {
        public long StoredEpoch { get; } = storedEpoch;
    }
}
