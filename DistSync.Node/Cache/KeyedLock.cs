namespace DistSync.Node.Cache;

/// <summary>
/// One asynchronous mutex per key, alive only while someone holds or waits for it: a home serialises each key's
/// transitions without making unrelated keys wait, and without keeping a lock per key ever seen.
/// </summary>
public sealed class KeyedLock
{
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    public bool IsHeld(string key)
    {
        lock (_slots)
        {
            return _slots.ContainsKey(key);
        }
    }

    public async Task<IDisposable> LockAsync(string key, CancellationToken cancellationToken)
    {
        Slot slot;
        lock (_slots)
        {
            if (!_slots.TryGetValue(key, out slot!))
            {
                slot = new Slot();
                _slots[key] = slot;
            }

            slot.Users++;
        }

        try
        {
            await slot.Gate.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(key, slot, release: false);
            throw;
        }

        return new Releaser(this, key, slot);
    }

    /// <summary>The lock if nobody holds it now; null otherwise (a background renewal skips a busy key).</summary>
    public IDisposable? TryLock(string key)
    {
        lock (_slots)
        {
            if (_slots.ContainsKey(key))
            {
                return null;
            }

            var slot = new Slot { Users = 1 };
            slot.Gate.Wait(0);
            _slots[key] = slot;
            return new Releaser(this, key, slot);
        }
    }

    private void Leave(string key, Slot slot, bool release)
    {
        lock (_slots)
        {
            if (--slot.Users == 0)
            {
                _slots.Remove(key);
            }
        }

        if (release)
        {
            slot.Gate.Release();
        }
    }

    private sealed class Slot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Releaser(KeyedLock owner, string key, Slot slot) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Leave(key, slot, release: true);
            }
        }
    }
}
