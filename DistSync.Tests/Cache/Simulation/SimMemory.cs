using DistSync.Node.Cache;

namespace DistSync.Tests.Cache.Simulation;

/// <summary>
/// Redis for the simulation: the rules of <see cref="CacheScripts"/> (claim and epoch fence, versions, the holder's
/// fence) over a dictionary, each call atomic. The scripts themselves are checked against real servers in
/// <c>CacheScriptsTests</c>; this stand-in keeps the simulation deterministic. Each node talks to it through a
/// <see cref="Handle"/> that stops working when that incarnation of the node crashes.
/// </summary>
internal sealed class SimMemory
{
    private readonly Dictionary<string, Hash> _hashes = new(StringComparer.Ordinal);

    public (string? Value, long Version) Peek(string key) => _hashes.TryGetValue(key, out var h) ? (h.Value, h.Version) : (null, 0);

    private Hash Claim(string key, long epoch, string home, out long previousEpoch, out string previousHome, out bool stale)
    {
        if (!_hashes.TryGetValue(key, out var h))
        {
            h = new Hash();
            _hashes[key] = h;
        }

        (previousEpoch, previousHome, stale) = (h.Epoch, h.Home, h.Epoch > epoch);
        if (stale)
        {
            return h;
        }

        (h.Epoch, h.Home) = (epoch, home);
        return h;
    }

    public sealed class Handle(SimMemory memory, Func<bool> alive) : ICacheMemory
    {
        public Task<MemoryRead> ReadAsync(string key, long epoch, string home, bool newFence, long nowUnixMs)
        {
            Check();
            var h = memory.Claim(key, epoch, home, out var pe, out var ph, out var stale);
            if (stale)
            {
                return Task.FromResult(new MemoryRead(true, h.Epoch, -1, "", null, 0, 0, 0));
            }

            if (newFence)
            {
                h.Fence++;
            }

            return Task.FromResult(new MemoryRead(false, epoch, pe, ph, h.Value, h.Version, h.Fence, 0));
        }

        public Task<MemoryWrite> WriteAsync(string key, long epoch, string home, bool hasValue, string? value, long expiresAtUnixMs, long minVersion, long nowUnixMs)
        {
            Check();
            var h = memory.Claim(key, epoch, home, out var pe, out var ph, out var stale);
            if (stale)
            {
                return Task.FromResult(new MemoryWrite(true, h.Epoch, -1, "", 0, 0));
            }

            h.Version = Math.Max(h.Version, minVersion) + 1;
            h.Fence++;
            h.Value = hasValue ? value : null;
            return Task.FromResult(new MemoryWrite(false, epoch, pe, ph, h.Version, h.Fence));
        }

        public Task<HolderWriteResult> HolderWriteAsync(string key, long fence, long version, bool hasValue, string? value, long expiresAtUnixMs, long nowUnixMs)
        {
            Check();
            if (!memory._hashes.TryGetValue(key, out var h) || h.Fence != fence || version <= h.Version)
            {
                return Task.FromResult(new HolderWriteResult(false, h?.Fence ?? 0, h?.Version ?? 0));
            }

            (h.Version, h.Value) = (version, hasValue ? value : null);
            return Task.FromResult(new HolderWriteResult(true, h.Fence, version));
        }

        private void Check()
        {
            if (!alive())
            {
                throw new SimCrashedException();
            }
        }
    }

    private sealed class Hash
    {
        public string? Value { get; set; }

        public long Version { get; set; }

        public long Fence { get; set; }

        public long Epoch { get; set; } = -1;

        public string Home { get; set; } = "";
    }
}

/// <summary>Code of a crashed incarnation reached the outside world: it ends there.</summary>
internal sealed class SimCrashedException : Exception;
