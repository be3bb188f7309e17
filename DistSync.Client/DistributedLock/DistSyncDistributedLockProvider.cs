using Medallion.Threading;

namespace DistSync.Client;

/// <summary>
/// DistSync behind the <c>DistributedLock.Core</c> interfaces: code written against <see cref="IDistributedLockProvider"/>
/// or <see cref="IDistributedReaderWriterLockProvider"/> switches to DistSync with one registration. A handle's
/// <c>HandleLostToken</c> is the hold's <see cref="LockHold.HandleLost"/>. A null timeout waits as long as the server
/// lets a wait last (5 minutes), then throws <see cref="TimeoutException"/>, as the library's providers do.
/// </summary>
public sealed class DistSyncDistributedLockProvider(DistSyncClient client) : IDistributedLockProvider, IDistributedReaderWriterLockProvider
{
    public IDistributedLock CreateLock(string name) => new DistSyncDistributedLock(client, name);

    public IDistributedReaderWriterLock CreateReaderWriterLock(string name) => new DistSyncDistributedLock(client, name);
}

/// <summary>One named lock; exclusive through <see cref="IDistributedLock"/> and the write methods, shared through the read ones.</summary>
public sealed class DistSyncDistributedLock(DistSyncClient client, string name) : IDistributedLock, IDistributedReaderWriterLock
{
    /// <summary>The longest wait a node takes.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(5);

    public string Name { get; } = name;

    public IDistributedSynchronizationHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    public IDistributedSynchronizationHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAsync(LockMode.Exclusive, timeout, cancellationToken);

    public ValueTask<IDistributedSynchronizationHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(LockMode.Exclusive, timeout, cancellationToken);

    public IDistributedSynchronizationHandle? TryAcquireReadLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAsync(LockMode.Shared, timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    public IDistributedSynchronizationHandle AcquireReadLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(LockMode.Shared, timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireReadLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAsync(LockMode.Shared, timeout, cancellationToken);

    public ValueTask<IDistributedSynchronizationHandle> AcquireReadLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireCoreAsync(LockMode.Shared, timeout, cancellationToken);

    public IDistributedSynchronizationHandle? TryAcquireWriteLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquire(timeout, cancellationToken);

    public IDistributedSynchronizationHandle AcquireWriteLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Acquire(timeout, cancellationToken);

    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireWriteLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(timeout, cancellationToken);

    public ValueTask<IDistributedSynchronizationHandle> AcquireWriteLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(timeout, cancellationToken);

    private async ValueTask<IDistributedSynchronizationHandle?> TryAsync(LockMode mode, TimeSpan timeout, CancellationToken cancellationToken) =>
        await client.Locks.TryAcquireAsync(Name, mode, Clamp(timeout), cancellationToken).ConfigureAwait(false) is { } hold ? new Handle(hold) : null;

    private async ValueTask<IDistributedSynchronizationHandle> AcquireCoreAsync(LockMode mode, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        try
        {
            return new Handle(await client.Locks.AcquireAsync(Name, mode, Clamp(timeout ?? LongestWait), cancellationToken).ConfigureAwait(false));
        }
        catch (DistSyncLockTimeoutException ex)
        {
            throw new TimeoutException(ex.Message, ex);
        }
    }

    private static TimeSpan Clamp(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan || timeout > LongestWait ? LongestWait
        : timeout < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A timeout must be zero or more, or infinite.")
        : timeout;

    private sealed class Handle(LockHold hold) : IDistributedSynchronizationHandle
    {
        public CancellationToken HandleLostToken => hold.HandleLost;

        public void Dispose() => hold.DisposeAsync().AsTask().GetAwaiter().GetResult();

        public ValueTask DisposeAsync() => hold.DisposeAsync();
    }
}
