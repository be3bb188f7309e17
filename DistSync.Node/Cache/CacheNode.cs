using System.Collections.Concurrent;

namespace DistSync.Node.Cache;

/// <summary>
/// This node's side of the cache: its L1 and the requests it sends to each key's home. A hit is served from the L1
/// with no message while the line's lease lasts; a miss, and every write not made by the exclusive holder, goes to
/// the home, one request per key at a time. A write by the holder of an E or M line needs no message: under
/// write-through it goes straight to Redis under the holder's fence, under write-back it stays dirty here.
/// </summary>
public sealed class CacheNode
{
    private const int MaxAttempts = 8;

    private readonly string _self;
    private readonly CacheHome _home;
    private readonly ICacheRing _ring;
    private readonly ICacheMemory _memory;
    private readonly ICachePeers _peers;
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly CacheTelemetry _telemetry;
    private readonly CacheLines _lines;
    private readonly KeyedLock _requests = new();
    private readonly ConcurrentDictionary<string, Task> _writeBacks = new(StringComparer.Ordinal);

    public CacheNode(string self, CacheHome home, ICacheRing ring, ICacheMemory memory, ICachePeers peers, CacheOptions options, TimeProvider time, CacheTelemetry telemetry)
    {
        (_self, _home, _ring, _memory, _peers, _options, _time, _telemetry) = (self, home, ring, memory, peers, options, time, telemetry);
        _lines = new CacheLines(options.MaxEntries, options.MaxBytes);
        home.Local = this;
        telemetry.BindLines(CountByState);
    }

    public string NodeId => _self;

    private long LeaseMs => (long)_options.Lease.TotalMilliseconds;

    private long NowMs => _time.GetTimestamp() * 1000 / _time.TimestampFrequency;

    private long NowUnixMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<CacheRead> GetAsync(string key, CancellationToken cancellationToken)
    {
        CacheRead? hit = null;
        var renew = false;
        lock (_lines)
        {
            var now = NowMs;
            if (_lines.Lookup(key, now) is { } line)
            {
                hit = new CacheRead(true, line.State, line.ValueAt(NowUnixMs), line.Version, line.ExpiresAtUnixMs);
                renew = line.LeaseUntilMs - now < LeaseMs / 2;
            }
        }

        if (hit is not null)
        {
            if (renew)
            {
                _ = RenewAsync(key);
            }

            return hit;
        }

        using (await _requests.LockAsync(key, cancellationToken))
        {
            return await FetchAsync(key, cancellationToken);
        }
    }

    /// <summary>Sets (or, with <paramref name="hasValue"/> false, deletes) the key; returns once no other node holds an older copy.</summary>
    public async Task<CacheWritten> SetAsync(string key, bool hasValue, string? value, long expiresAtUnixMs, CacheWritePolicy policy, CancellationToken cancellationToken)
    {
        CacheWritten written;
        using (await _requests.LockAsync(key, cancellationToken))
        {
            written = await TryWriteAsHolderAsync(key, hasValue, value, expiresAtUnixMs, policy) ?? await WriteThroughHomeAsync(key, hasValue, value, expiresAtUnixMs, cancellationToken);
        }

        // An owner that keeps writing renews its lease as a reader does, so its writes stay silent.
        bool renew;
        lock (_lines)
        {
            renew = _lines.Find(key) is { IsExclusive: true } line && line.LeaseUntilMs - NowMs < LeaseMs / 2;
        }

        if (renew)
        {
            _ = RenewAsync(key);
        }

        return written;
    }

    private async Task<CacheWritten> WriteThroughHomeAsync(string key, bool hasValue, string? value, long expiresAtUnixMs, CancellationToken cancellationToken)
    {
        long holdingVersion;
        lock (_lines)
        {
            holdingVersion = _lines.Find(key) is { IsExclusive: true } line ? line.Version : 0;
        }

        var reply = await AskHomeAsync(new HomeRequest(HomeRequestKind.Write, key, _self, HoldingVersion: holdingVersion,
            HasValue: hasValue, Value: value, ExpiresAtUnixMs: expiresAtUnixMs), cancellationToken);
        lock (_lines)
        {
            var held = _lines.Find(key) is { State: LineState.M } line && line.Version == reply.Version ? LineState.M : LineState.I;
            return new CacheWritten(held, reply.Version, false);
        }
    }

    /// <summary>The home takes this node's line. A dirty value reaches Redis before the answer does.</summary>
    public async Task<RevokeReply> RevokeAsync(RevokeRequest request, CancellationToken cancellationToken)
    {
        Revoked revoked;
        lock (_lines)
        {
            revoked = _lines.Revoke(request.Key, request.Kind);
        }

        var kept = revoked.Kept;
        if (revoked.WriteBack is { } dirty && await WriteBackAsync(dirty) != WriteBack.Applied)
        {
            // The dirty value did not reach Redis: this copy must not outlive the answer as if it were the key's.
            lock (_lines)
            {
                _lines.Drop(request.Key);
            }

            kept = false;
        }

        if (_writeBacks.TryGetValue(request.Key, out var pending))
        {
            await pending.WaitAsync(cancellationToken);
        }

        return new RevokeReply(kept, revoked.Version);
    }

    /// <summary><c>/cache/invalidate</c>: drops this node's copy (a dirty one is written back first). Returns the state it was in.</summary>
    public async Task<LineState> InvalidateLocalAsync(string key, CancellationToken cancellationToken)
    {
        using (await _requests.LockAsync(key, cancellationToken))
        {
            Revoked revoked;
            lock (_lines)
            {
                var valid = _lines.Lookup(key, NowMs) is not null;
                revoked = _lines.Revoke(key, RevokeKind.Invalidate);
                revoked = valid ? revoked : revoked with { Before = LineState.I };
            }

            if (revoked.WriteBack is { } dirty)
            {
                await WriteBackAsync(dirty);
            }

            return revoked.Before;
        }
    }

    /// <summary>This node's line for a key as <c>/cache/lines</c> shows it; null when it has none.</summary>
    public LineView? Describe(string key)
    {
        lock (_lines)
        {
            if (_lines.Find(key) is not { } line)
            {
                return null;
            }

            var now = NowMs;
            return new LineView(line.LeaseValid(now) ? line.State : LineState.I, line.Version, Math.Max(0, line.LeaseUntilMs - now), line.Dirty);
        }
    }

    /// <summary>The most recently used lines, for the cluster view.</summary>
    public IReadOnlyList<(string Key, LineView Line)> Recent(int max)
    {
        lock (_lines)
        {
            var now = NowMs;
            return [.. _lines.RecentlyUsed().Take(max).Select(l => (l.Key, new LineView(l.LeaseValid(now) ? l.State : LineState.I, l.Version, Math.Max(0, l.LeaseUntilMs - now), l.Dirty)))];
        }
    }

    public (int Lines, long Bytes) Size
    {
        get
        {
            lock (_lines)
            {
                return (_lines.Count, _lines.Bytes);
            }
        }
    }

    public IReadOnlyDictionary<LineState, int> CountByState()
    {
        lock (_lines)
        {
            return _lines.CountByState(NowMs);
        }
    }

    /// <summary>Writes back every line dirty for longer than the write-back delay (or every dirty line, when stopping).</summary>
    public async Task FlushAsync(bool all)
    {
        IReadOnlyList<LineSnapshot> dirty;
        lock (_lines)
        {
            dirty = _lines.DirtyLines(all ? long.MaxValue : NowMs - (long)_options.WriteBackDelay.TotalMilliseconds);
        }

        foreach (var line in dirty)
        {
            var outcome = await WriteBackAsync(line);
            lock (_lines)
            {
                if (outcome == WriteBack.Applied)
                {
                    _lines.MarkClean(line.Key, line.Version);
                }
                else if (outcome == WriteBack.Refused && _lines.Find(line.Key) is { Dirty: true } stale && stale.Version == line.Version)
                {
                    _lines.Drop(line.Key); // the home has handed the key on: this copy is no longer the key's
                }

                // Failed (Redis did not answer): still dirty, the next round tries again.
            }
        }
    }

    private async Task<CacheRead> FetchAsync(string key, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            LineState holding;
            long fence;
            lock (_lines)
            {
                // Another caller's fetch may have brought the line while this one waited for the key.
                if (_lines.Lookup(key, NowMs) is { } fetched)
                {
                    return new CacheRead(false, fetched.State, fetched.ValueAt(NowUnixMs), fetched.Version, fetched.ExpiresAtUnixMs);
                }

                (holding, fence) = _lines.Find(key) is { IsExclusive: true } kept ? (kept.State, kept.Fence) : (LineState.I, 0L);
            }

            var reply = await AskHomeAsync(new HomeRequest(HomeRequestKind.Read, key, _self, holding, fence), cancellationToken);
            if (!reply.Renewed)
            {
                return new CacheRead(false, reply.State, reply.ExpiresAtUnixMs > 0 && NowUnixMs >= reply.ExpiresAtUnixMs ? null : reply.Value, reply.Version, reply.ExpiresAtUnixMs);
            }

            // Renewed: the value is the one this node holds, if a revoke has not taken it meanwhile (then ask again).
            lock (_lines)
            {
                if (_lines.Lookup(key, NowMs) is { } renewed)
                {
                    return new CacheRead(false, renewed.State, renewed.ValueAt(NowUnixMs), renewed.Version, renewed.ExpiresAtUnixMs);
                }
            }
        }

        throw new CacheUnavailableException($"The home of '{key}' kept renewing a line this node no longer has.", false);
    }

    /// <summary>The holder's write: no message when this node holds the line exclusively; null when it must ask the home.</summary>
    private async Task<CacheWritten?> TryWriteAsHolderAsync(string key, bool hasValue, string? value, long expiresAtUnixMs, CacheWritePolicy policy)
    {
        long generation, version, fence, ticket;
        lock (_lines)
        {
            var now = NowMs;
            // Enough lease left to finish the write while still the holder; under write-back, to write it back too
            // (the flusher's bound) before a new home could void the fence.
            var needed = policy == CacheWritePolicy.WriteBack ? Math.Max(LeaseMs / 4, 2 * (long)_options.WriteBackDelay.TotalMilliseconds) : LeaseMs / 4;
            if (_lines.Lookup(key, now) is not { IsExclusive: true } line || line.LeaseUntilMs - now < needed)
            {
                return null;
            }

            if (policy == CacheWritePolicy.WriteBack)
            {
                var written = _lines.WriteLocal(key, hasValue ? value : null, line.Version + 1, expiresAtUnixMs, dirty: true, now);
                return new CacheWritten(LineState.M, written.Version, true);
            }

            (generation, version, fence) = (line.Generation, line.Version + 1, line.Fence);
            // Counted as a request in flight: a revoke meanwhile drops the line rather than keeping an S copy of the
            // version before this write, which Redis may already have replaced.
            ticket = _lines.BeginRequest(key);
        }

        HolderWriteResult result;
        try
        {
            result = await _memory.HolderWriteAsync(key, fence, version, hasValue, value, expiresAtUnixMs, NowUnixMs);
        }
        catch
        {
            // Redis did not answer: the write may have landed under the fence. Nothing here may claim either way.
            lock (_lines)
            {
                _lines.EndRequest(key, ticket);
                _lines.Drop(key);
            }

            throw;
        }

        lock (_lines)
        {
            var undisturbed = _lines.EndRequest(key, ticket);
            var line = _lines.Find(key);
            var unchanged = undisturbed && line is not null && line.Generation == generation;
            if (!result.Applied)
            {
                if (unchanged)
                {
                    _lines.Drop(key); // the home has handed the key on; ask it
                }

                return null;
            }

            // Applied under the fence: before anything the home did after taking the line, so the home saw this
            // version. Keep the line only if nothing took it meanwhile.
            if (unchanged && line!.IsExclusive && line.LeaseValid(NowMs))
            {
                _lines.WriteLocal(key, hasValue ? value : null, version, expiresAtUnixMs, dirty: false, NowMs);
                return new CacheWritten(LineState.M, version, true);
            }

            if (line is not null && line.Version < version)
            {
                _lines.Drop(key);
            }

            return new CacheWritten(_lines.Find(key)?.State ?? LineState.I, version, true);
        }
    }

    /// <summary>
    /// Sends a request to the key's home (looked up afresh on every try, epoch and home from one snapshot) and installs the grant unless a revoke came
    /// in meanwhile. Retries while the ring moves. A write whose request may have arrived is never sent twice: applied
    /// twice, it could land on both sides of another client's write.
    /// </summary>
    private async Task<HomeReply> AskHomeAsync(HomeRequest request, CancellationToken cancellationToken)
    {
        // An evicted dirty line of this key is on its way to Redis: the home must read it there, not the value before.
        if (_writeBacks.TryGetValue(request.Key, out var writingBack))
        {
            await writingBack.WaitAsync(cancellationToken);
        }

        var delay = TimeSpan.FromMilliseconds(20);
        var why = "";
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(delay, _time, cancellationToken);
                delay *= 2;
            }

            // One reading of the ring per try: this node's own home serves under the same snapshot it was picked from.
            var membership = _ring.Current;
            var home = CacheRing.HomeOf(membership, request.Key);
            var sentAt = NowMs;
            long ticket;
            lock (_lines)
            {
                ticket = _lines.BeginRequest(request.Key);
            }

            HomeReply reply;
            try
            {
                // This node's own home finishes what it begins, whatever the caller does (as a peer's home does).
                if (home == _self)
                {
                    reply = await _home.HandleAsync(request, membership, CancellationToken.None);
                }
                else
                {
                    using var timeout = new CancellationTokenSource(_options.HomeTimeout, _time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                    reply = await _peers.AskHomeAsync(home, request, linked.Token);
                }
            }
            catch (Exception ex) when (ex is CachePeerUnreachableException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                lock (_lines)
                {
                    _lines.EndRequest(request.Key, ticket);
                }

                var maybeDelivered = ex is not CachePeerUnreachableException { MaybeDelivered: false };
                if (request.Kind == HomeRequestKind.Write && maybeDelivered)
                {
                    // The home may have stored the write and recorded this node as owner without this node knowing:
                    // the copy it has is older than that write, and no downgrade would catch it. Drop it.
                    await DropAsync(request.Key);
                    throw new CacheUnavailableException($"The home {home} of '{request.Key}' did not answer; the write may or may not have been applied.", true);
                }

                why = $"{home} did not answer ({ex.Message})";
                continue;
            }
            catch
            {
                lock (_lines)
                {
                    _lines.EndRequest(request.Key, ticket);
                }

                // Redis failed under this node's own home: the write may be stored, and this node's copy is older.
                if (request.Kind == HomeRequestKind.Write)
                {
                    await DropAsync(request.Key);
                }

                throw;
            }

            IReadOnlyList<Func<Task>> writeBacks = [];
            lock (_lines)
            {
                var install = _lines.EndRequest(request.Key, ticket);
                if (reply.Status == HomeStatus.NotHome)
                {
                    why = $"{home} is not its home (epoch {reply.Epoch})";
                    continue;
                }

                if (install && reply.Renewed)
                {
                    _lines.Renew(request.Key, reply.Fence, sentAt + reply.LeaseMs);
                }
                else if (install)
                {
                    writeBacks = Evicted(_lines.Install(request.Key, reply.State, reply.Value, reply.Version, reply.Fence, reply.ExpiresAtUnixMs, sentAt + reply.LeaseMs));
                }
            }

            foreach (var writeBack in writeBacks)
            {
                _ = writeBack();
            }

            return reply;
        }

        throw new CacheUnavailableException($"No home took '{request.Key}' in {MaxAttempts} tries: {why}.", false);
    }

    /// <summary>Forgets this node's copy of a key, writing a dirty one back first.</summary>
    private async Task DropAsync(string key)
    {
        IReadOnlyList<Func<Task>> writeBacks;
        lock (_lines)
        {
            // Registered as an eviction is, so a revoke meanwhile waits for the write-back.
            writeBacks = _lines.Find(key) is { } line ? Evicted([CacheLines.Snapshot(line)], evictions: false) : [];
            _lines.Drop(key);
        }

        foreach (var writeBack in writeBacks)
        {
            await writeBack();
        }
    }

    /// <summary>Renews a line whose lease is past half, in the background, unless a request for the key is already out.</summary>
    private async Task RenewAsync(string key)
    {
        using var gate = _requests.TryLock(key);
        if (gate is null)
        {
            return;
        }

        try
        {
            LineState holding;
            long fence;
            lock (_lines)
            {
                (holding, fence) = _lines.Find(key) is { IsExclusive: true } line ? (line.State, line.Fence) : (LineState.I, 0L);
            }

            await AskHomeAsync(new HomeRequest(HomeRequestKind.Read, key, _self, holding, fence), CancellationToken.None);
        }
        catch (Exception ex) when (ex is CacheUnavailableException or CachePeerUnreachableException or OperationCanceledException)
        {
            // The line runs out on its own; the next read asks again.
        }
    }

    /// <summary>
    /// Called under the lines' lock: each evicted dirty line is registered as on its way to Redis before anyone can
    /// see it gone (a revoke of the key then waits for it); the caller starts the write-backs after the lock.
    /// </summary>
    private IReadOnlyList<Func<Task>> Evicted(IReadOnlyList<LineSnapshot> evicted, bool evictions = true)
    {
        if (evicted.Count == 0)
        {
            return [];
        }

        if (evictions)
        {
            _telemetry.Evicted(evicted.Count);
        }

        var starts = new List<Func<Task>>();
        foreach (var dirty in evicted.Where(e => e.Dirty))
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _writeBacks[dirty.Key] = done.Task;
            starts.Add(async () =>
            {
                try
                {
                    await WriteBackAsync(dirty);
                }
                finally
                {
                    _writeBacks.TryRemove(new KeyValuePair<string, Task>(dirty.Key, done.Task));
                    done.SetResult();
                }
            });
        }

        return starts;
    }

    private async Task<WriteBack> WriteBackAsync(LineSnapshot dirty)
    {
        try
        {
            var result = await _memory.HolderWriteAsync(dirty.Key, dirty.Fence, dirty.Version, dirty.Value is not null, dirty.Value, dirty.ExpiresAtUnixMs, NowUnixMs);
            _telemetry.WroteBack(result.Applied);
            return result.Applied ? WriteBack.Applied : WriteBack.Refused;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            _telemetry.WroteBack(false);
            return WriteBack.Failed;
        }
    }

    private enum WriteBack
    {
        Applied,

        /// <summary>The fence or version moved on: the home has handed the key on.</summary>
        Refused,

        /// <summary>Redis did not answer.</summary>
        Failed,
    }
}

/// <summary>A read's answer: <see cref="Hit"/> when served from this node's L1 with no message.</summary>
public sealed record CacheRead(bool Hit, LineState State, string? Value, long Version, long ExpiresAtUnixMs);

/// <summary>A write's answer: the state this node holds the line in now, the value's version, and whether it needed no message.</summary>
public sealed record CacheWritten(LineState State, long Version, bool Silent);

public sealed record LineView(LineState State, long Version, long LeaseLeftMs, bool Dirty);
