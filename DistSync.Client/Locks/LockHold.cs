namespace DistSync.Client;

/// <summary>
/// A granted lock. Pass <see cref="FencingToken"/> to what the lock protects, and have it refuse any lower token it has
/// seen. <see cref="HandleLost"/> fires if the hold ends without the app releasing it (its session was lost), before
/// the server could grant the lock to anyone else. Disposing releases it.
/// </summary>
public sealed class LockHold : IAsyncDisposable
{
    private readonly DistSyncLocks _locks;
    private readonly ClientSession _session;
    private int _released;

    internal LockHold(DistSyncLocks locks, ClientSession session, string resource, string holderId, LockMode mode, long fencingToken)
    {
        _locks = locks;
        _session = session;
        Resource = resource;
        HolderId = holderId;
        Mode = mode;
        FencingToken = fencingToken;
    }

    public string Resource { get; }

    public LockMode Mode { get; }

    /// <summary>Rises strictly per resource with every grant, across leader changes.</summary>
    public long FencingToken { get; }

    /// <summary>The client id the hold is under in the lock table (this client's id and a number per hold).</summary>
    public string HolderId { get; }

    /// <summary>Until when, on this client's clock, the hold is surely still held; kept moving by the session's keep-alives.</summary>
    public DateTimeOffset ExpiresAt => _session.ValidUntil();

    /// <summary>Fires when the hold ends without the app releasing it.</summary>
    public CancellationToken HandleLost => _session.Lost;

    /// <summary>Releases the hold by its fencing token (a later hold of the same resource is never touched).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await _locks.ReleaseAsync(this, _session).ConfigureAwait(false);
        }
    }
}
