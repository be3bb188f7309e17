namespace DistSync.Node.Cache;

/// <summary>
/// The cache's Redis scripts, one hash per key (<c>ds:c:{key}</c>) with fields <c>v</c> (the value as JSON; absent
/// when the key has none), <c>ver</c> (its version), <c>exp</c> (Unix ms it expires at, 0 never), <c>f</c> (the fence
/// token of the key's exclusive holder), <c>ep</c>, <c>h</c> (the epoch and node of the home that claimed it last) and
/// <c>rd</c>, <c>rh</c> (the epoch and node of the home that last finished taking the key over).
/// <para>
/// A home's scripts refuse (<c>STALE</c>) when a home of a newer epoch has claimed the key, and claim it otherwise:
/// from then on the old home can grant nothing. Every home script also says whether a takeover is due: it is not only
/// when this home made the last claim and finished it (<c>h</c> and <c>rh</c> name it, <c>rd</c> is the claim's
/// epoch). A takeover finished by another home, or this home's own claim cut short, leaves one due. The home then
/// waits one lease before it grants anything and voids the old owner's fence, so the old owner's last write-backs
/// land rather than being lost; it finishes only the claim it waited on (if another home claimed meanwhile, that
/// script is a new claim and the wait starts again). The hash outlives its value by <see cref="GraceMs"/> (far past
/// any lease), and every script by as much on Redis's own clock; a holder write to a hash that is gone is refused. Only commands Garnet also runs.
/// </para>
/// </summary>
public static class CacheScripts
{
    public const long GraceMs = 10 * 60 * 1000;

    private const string Claim = """
        local epoch = tonumber(ARGV[1])
        local stored = tonumber(redis.call('HGET', KEYS[1], 'ep') or '-1')
        if stored > epoch then return {'STALE', stored} end
        local home = redis.call('HGET', KEYS[1], 'h') or ''
        local ready = tonumber(redis.call('HGET', KEYS[1], 'rd') or '-1')
        local readyHome = redis.call('HGET', KEYS[1], 'rh') or ''
        -- This home's claim of this epoch, still standing: the one a takeover it waited out finishes.
        local claimed = stored == epoch and home == ARGV[2]
        -- No takeover is due only when this home claimed the key last and finished that claim itself.
        local takeover = 0
        if stored >= 0 and not (home == ARGV[2] and readyHome == ARGV[2] and ready == stored) then takeover = 1 end
        if stored ~= epoch or home ~= ARGV[2] then redis.call('HSET', KEYS[1], 'ep', ARGV[1], 'h', ARGV[2]) end
        if takeover == 0 and (ready ~= epoch or readyHome ~= ARGV[2]) then redis.call('HSET', KEYS[1], 'rd', ARGV[1], 'rh', ARGV[2]) end
        local now = tonumber(ARGV[3])

        """;

    // The grace counts from the value's expiry and from the caller's now, both instants on some node's wall clock,
    // and at least from Redis's own now: a node whose clock is behind Redis's must not make Redis drop a record whose
    // fence and version live leases still rely on.
    private const string Expire = """
        local function expire()
          local exp = tonumber(redis.call('HGET', KEYS[1], 'exp') or '0')
          if exp == 0 and redis.call('HEXISTS', KEYS[1], 'v') == 1 then
            redis.call('PERSIST', KEYS[1])
          else
            local t = redis.call('TIME')
            local redisNow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('PEXPIREAT', KEYS[1], math.max(exp, now, redisNow) + 600000)
          end
        end

        """;

    /// <summary>
    /// ARGV: epoch, home, now, new_fence (1/0), takeover_done (1/0). Returns {OK, takeover, value or false, version,
    /// fence, expires_at}: takeover 1 means another home may have granted leases that are still running (the caller
    /// waits one lease and calls again with takeover_done, which also voids the old owner's fence; until then new_fence
    /// does nothing). takeover_done
    /// finishes the takeover only while this home's claim of this epoch still stands; otherwise takeover stays 1 and
    /// the wait starts again. A value whose expiry has passed reads as none.
    /// </summary>
    public const string Read = Claim + Expire + """
        if ARGV[5] == '1' then
          if claimed then
            redis.call('HSET', KEYS[1], 'rd', ARGV[1], 'rh', ARGV[2])
            redis.call('HINCRBY', KEYS[1], 'f', 1)
            takeover = 0
          end
        elseif ARGV[4] == '1' and takeover == 0 then
          -- Not while a takeover is due: until the wait is over the old owner's fence stands, and its write-backs land.
          redis.call('HINCRBY', KEYS[1], 'f', 1)
        end
        expire()
        local v = redis.call('HGET', KEYS[1], 'v')
        local exp = tonumber(redis.call('HGET', KEYS[1], 'exp') or '0')
        if v and exp > 0 and exp <= now then v = false end
        return {'OK', takeover, v, tonumber(redis.call('HGET', KEYS[1], 'ver') or '0'), tonumber(redis.call('HGET', KEYS[1], 'f') or '0'), exp}
        """;

    /// <summary>
    /// A home's write. ARGV: epoch, home, now, has_value (1/0), value, expires_at, min_version. The version becomes
    /// max(stored, min_version) + 1 and the fence rises. Returns {OK, 0, version, fence}, or {TAKEOVER} with nothing
    /// written when a takeover is due (see <see cref="Read"/>).
    /// </summary>
    public const string Write = Claim + Expire + """
        if takeover == 1 then return {'TAKEOVER'} end
        local ver = math.max(tonumber(redis.call('HGET', KEYS[1], 'ver') or '0'), tonumber(ARGV[7])) + 1
        local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
        if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'v', ARGV[5]) else redis.call('HDEL', KEYS[1], 'v') end
        redis.call('HSET', KEYS[1], 'ver', ver, 'exp', ARGV[6])
        expire()
        return {'OK', 0, ver, f}
        """;

    /// <summary>
    /// The exclusive holder's write (write-through, or a write-back). ARGV: fence, version, now, has_value, value,
    /// expires_at. Applied only while the fence is the key's and the version is past the stored one. Returns {OK,
    /// fence, version} or {REFUSED, stored fence, stored version}.
    /// </summary>
    public const string HolderWrite = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {'REFUSED', 0, 0} end
        local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
        local ver = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
        if f ~= tonumber(ARGV[1]) or tonumber(ARGV[2]) <= ver then return {'REFUSED', f, ver} end
        local now = tonumber(ARGV[3])

        """ + Expire + """
        if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'v', ARGV[5]) else redis.call('HDEL', KEYS[1], 'v') end
        redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'exp', ARGV[6])
        expire()
        return {'OK', f, tonumber(ARGV[2])}
        """;

    public static string KeyOf(string key) => "ds:c:" + key;
}
