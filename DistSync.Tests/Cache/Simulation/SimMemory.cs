using DistSync.Node.Cache;
using DistSync.Tests.Infrastructure.Simulation;
using StackExchange.Redis;

namespace DistSync.Tests.Cache.Simulation;

/// <summary>
/// Redis for the simulation: the rules of <see cref="CacheScripts"/> (claim and epoch fence, versions, the holder's
/// fence) over a dictionary, each call atomic. The scripts themselves are checked against real servers in
/// <c>CacheScriptsTests</c>; this stand-in keeps the simulation deterministic. Each node talks to it through a
/// <see cref="Handle"/> that stops working when that incarnation of the node crashes.
/// </summary>
internal sealed class SimMemory(CacheSimulation sim)
{
    private readonly CacheSimulation _sim = sim;
    private readonly Dictionary<string, Hash> _hashes = new(StringComparer.Ordinal);

    public (string? Value, long Version) Peek(string key) => _hashes.TryGetValue(key, out var h) ? (h.Value, h.Version) : (null, 0);

    private Hash Claim(string key, long epoch, string home, out bool takeover, out bool stale, out bool claimed)
    {
        if (!_hashes.TryGetValue(key, out var h))
        {
            h = new Hash();
            _hashes[key] = h;
        }

        _sim.ActedAsHome(key, epoch, home);
        stale = h.Epoch > epoch;
        takeover = false;
        claimed = false;
        if (stale)
        {
            return h;
        }

        claimed = h.Epoch == epoch && h.Home == home;
        takeover = h.Epoch >= 0 && !(h.Home == home && h.ReadyHome == home && h.Ready == h.Epoch);
        (h.Epoch, h.Home) = (epoch, home);
        if (!takeover)
        {
            (h.Ready, h.ReadyHome) = (epoch, home);
            _sim.FinishedClaim(key, epoch, home);
        }

        return h;
    }

    public sealed class Handle(SimMemory memory, Func<bool> alive) : ICacheMemory
    {
        public async Task<MemoryRead> ReadAsync(string key, long epoch, string home, bool newFence, long nowUnixMs, bool takeoverDone = false)
        {
            await TravelAsync();
            var h = memory.Claim(key, epoch, home, out var takeover, out var stale, out var claimed);
            if (stale)
            {
                return await ReplyAsync(new MemoryRead(true, h.Epoch, false, null, 0, 0, 0));
            }

            if (takeoverDone)
            {
                if (claimed)
                {
                    (h.Ready, h.ReadyHome, takeover) = (epoch, home, false);
                    h.Fence++;
                    memory._sim.FinishedClaim(key, epoch, home);
                }
            }
            else if (newFence && !takeover)
            {
                h.Fence++;
            }

            if (takeover)
            {
                memory._sim.TakeoverDue(key, home);
            }

            return await ReplyAsync(new MemoryRead(false, epoch, takeover, h.Value, h.Version, h.Fence, 0));
        }

        public async Task<MemoryWrite> WriteAsync(string key, long epoch, string home, bool hasValue, string? value, long expiresAtUnixMs, long minVersion, long nowUnixMs)
        {
            await TravelAsync();
            var h = memory.Claim(key, epoch, home, out var takeover, out var stale, out _);
            if (takeover && !stale)
            {
                memory._sim.TakeoverDue(key, home);
            }

            if (stale || takeover)
            {
                return await ReplyAsync(new MemoryWrite(stale, h.Epoch, takeover && !stale, 0, 0));
            }

            h.Version = Math.Max(h.Version, minVersion) + 1;
            h.Fence++;
            h.Value = hasValue ? value : null;
            return await ReplyAsync(new MemoryWrite(false, epoch, false, h.Version, h.Fence));
        }

        public async Task<HolderWriteResult> HolderWriteAsync(string key, long fence, long version, bool hasValue, string? value, long expiresAtUnixMs, long nowUnixMs)
        {
            await TravelAsync();
            if (!memory._hashes.TryGetValue(key, out var h) || h.Fence != fence || version <= h.Version)
            {
                return await ReplyAsync(new HolderWriteResult(false, h?.Fence ?? 0, h?.Version ?? 0));
            }

            (h.Version, h.Value) = (version, hasValue ? value : null);
            return await ReplyAsync(new HolderWriteResult(true, h.Fence, version));
        }

        /// <summary>
        /// The command's way to Redis: it runs there atomically once it arrives (a crashed sender's never does), or
        /// the connection fails before it is sent.
        /// </summary>
        private async Task TravelAsync()
        {
            await Task.Delay(TimeSpan.FromMilliseconds(memory._sim.Random.Next(memory._sim.Options.MaxMemoryDelayMs + 1)), memory._sim.Time);
            if (!alive())
            {
                throw new SimCrashedException();
            }

            if (memory._sim.Random.NextDouble() < memory._sim.Options.MemoryErrorRate)
            {
                throw new RedisConnectionException(ConnectionFailureType.SocketFailure, "simulated: the command was not sent");
            }
        }

        /// <summary>The reply's way back: it may arrive after other messages did, or be lost after the command ran (a timeout).</summary>
        private async Task<T> ReplyAsync<T>(T reply)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(memory._sim.Random.Next(memory._sim.Options.MaxMemoryDelayMs + 1)), memory._sim.Time);
            if (alive() && memory._sim.Random.NextDouble() < memory._sim.Options.MemoryErrorRate)
            {
                throw new RedisTimeoutException("simulated: the command ran but its answer was lost", CommandStatus.Sent);
            }

            return alive() ? reply : throw new SimCrashedException();
        }
    }

    private sealed class Hash
    {
        public string? Value { get; set; }

        public long Version { get; set; }

        public long Fence { get; set; }

        public long Epoch { get; set; } = -1;

        public string Home { get; set; } = "";

        public long Ready { get; set; } = -1;

        public string ReadyHome { get; set; } = "";
    }
}
