
namespace DistSync.Node.Queue;

/// <summary>
/// One Lua script per queue operation, each atomic in Redis. Every script that writes first checks the partition's
/// fence: it refuses (<c>STALE</c>) when the stored epoch is newer than the caller's, and raises the stored epoch to
/// the caller's otherwise, so once a new owner has written, a deposed owner can write nothing. Every answer that gets
/// past the fence ends with Redis's time when it ran and the partition's version (raised by each such call), which
/// orders the answers the way Redis ran them: an owner's view of a partition must not go back to an older answer that
/// arrived late. Deadlines are stored on Redis's clock and answered as a duration (<c>duein</c>), never as a time. Only commands Garnet
/// also supports (lists, hashes, sorted sets; no Streams, no cjson). Keys: see <see cref="PartitionKeys"/>.
/// </summary>
public static class QueueScripts
{
    private const string Fence = """
        -- Queue time is Redis's clock, read once per call: no node's wall clock enters a deadline, a delay or the dedup
        -- window, so an owner whose clock is off (or a new owner whose clock differs) changes none of them. Read before
        -- any write: Redis before 7 replicates a script that read the time by its effects only when asked first.
        if redis.replicate_commands then redis.replicate_commands() end
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local epoch = tonumber(ARGV[1])
        local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
        if stored > epoch then return {'STALE', stored} end
        if stored < epoch then redis.call('SET', KEYS[1], ARGV[1]) end
        -- Numbers this script's answer among the partition's: the owner keeps the newest ready/duein it has heard.
        local version = redis.call('INCR', KEYS[11])
        -- How long until the partition's next visibility deadline or delay ends, on Redis's clock (-1: none). The
        -- owner counts it down on its own monotonic clock, so it never compares a Redis time with its wall clock.
        local function duein()
          local a = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
          local b = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
          local n = -1
          if a[2] then n = tonumber(a[2]) end
          if b[2] and (n < 0 or tonumber(b[2]) < n) then n = tonumber(b[2]) end
          if n < 0 then return -1 end
          return math.max(0, n - now)
        end
        -- The number a receipt names: deliveries ever made, never reset (a redrive resets only the count that
        -- max_deliveries reads), so an earlier delivery's receipt never matches a later one. A message stored before
        -- receipts had their own number has only its delivery count, which was its receipt then.
        local function receiptof(id)
          return redis.call('HGET', KEYS[12], id) or redis.call('HGET', KEYS[6], id) or '0'
        end
        -- Request ids: the first answer to a request is kept for the window, so a retry is answered the same and
        -- applies nothing twice. Bounded per partition: past 10,000 the oldest are forgotten first.
        local function recall(key)
          if key == '' then return nil end
          local answer = redis.call('HGET', KEYS[13], key)
          if answer then return answer end
          return nil
        end
        local function forget(window, limit)
          local old = redis.call('ZRANGEBYSCORE', KEYS[14], '-inf', now - window, 'LIMIT', 0, limit)
          local over = redis.call('ZCARD', KEYS[14]) - #old - 10000
          if over > 0 then
            for _, key in ipairs(redis.call('ZRANGE', KEYS[14], 0, math.min(over, limit) - 1)) do old[#old + 1] = key end
          end
          for _, key in ipairs(old) do
            redis.call('HDEL', KEYS[13], key)
            redis.call('ZREM', KEYS[14], key)
          end
        end
        local function remember(key, answer, window)
          if key == '' then return end
          redis.call('HSET', KEYS[13], key, answer)
          redis.call('ZADD', KEYS[14], now, key)
          forget(window, 100)
        end

        """;

    /// <summary>
    /// One or more messages into one partition, in the order given. ARGV: epoch, window_ms (of dedup and request ids),
    /// then per message: id, record, dedup_id ('' for none), delay_ms, request key ('' for none: a message whose request
    /// key was seen within the window gets that first answer again, and nothing is stored). Returns {OK, ready, duein,
    /// {status, id, offset, ...}, ready before, now, version}: status QUEUED with its offset, or DUPLICATE with the first message's id and offset 0. The
    /// offset numbers a partition's publishes in the order Redis stored them: with the fence, their epochs never go down.
    /// </summary>
    public const string Publish = Fence + """
        local before = redis.call('LLEN', KEYS[2])
        local old = redis.call('ZRANGEBYSCORE', KEYS[9], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 100)
        for _, d in ipairs(old) do
          redis.call('HDEL', KEYS[8], d)
          redis.call('ZREM', KEYS[9], d)
        end
        local out = {}
        for i = 3, #ARGV, 5 do
          local id, record, dedup, delay, request = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
          local first = nil
          local answered = recall(request)
          -- A retried forward carries the same id: the message is stored once.
          if answered then
            local status, firstid, offset = string.match(answered, '^(%u+) ([^ ]+) (%d+)$')
            out[#out + 1] = status; out[#out + 1] = firstid; out[#out + 1] = tonumber(offset)
          elseif redis.call('HEXISTS', KEYS[5], id) == 1 then first = id
          elseif dedup ~= '' then first = redis.call('HGET', KEYS[8], dedup) end
          if answered then
            -- answered above, as the first time
          elseif first then
            out[#out + 1] = 'DUPLICATE'; out[#out + 1] = first; out[#out + 1] = 0
            remember(request, 'DUPLICATE ' .. first .. ' 0', tonumber(ARGV[2]))
          else
            if dedup ~= '' then
              redis.call('HSET', KEYS[8], dedup, id)
              redis.call('ZADD', KEYS[9], now, dedup)
            end
            redis.call('HSET', KEYS[5], id, record)
            if delay > 0 then redis.call('ZADD', KEYS[4], now + delay, id) else redis.call('RPUSH', KEYS[2], id) end
            local offset = redis.call('INCR', KEYS[10])
            out[#out + 1] = 'QUEUED'; out[#out + 1] = id; out[#out + 1] = offset
            remember(request, 'QUEUED ' .. id .. ' ' .. offset, tonumber(ARGV[2]))
          end
        end
        return {'OK', redis.call('LLEN', KEYS[2]), duein(), out, before, now, version}
        """;

    /// <summary>
    /// ARGV: epoch, visibility_ms, max, request key ('' for none), window_ms, recall only ('1': return a remembered lease,
    /// take nothing new). The lease a request key made here is remembered: the same key again is answered with the same
    /// messages and receipts, those still in flight under them, and counts no delivery. Returns {OK, ready, duein,
    /// {id, record, deliveries, receipt, ...}, now, version}.
    /// </summary>
    public const string Consume = Fence + """
        local out = {}
        local remembered = recall(ARGV[4])
        if remembered or ARGV[6] == '1' then
          for id, receipt in string.gmatch(remembered or '', '([^,:]+):(%d+)') do
            local record = redis.call('HGET', KEYS[5], id)
            if record and redis.call('ZSCORE', KEYS[3], id) and receiptof(id) == receipt then
              out[#out + 1] = id
              out[#out + 1] = record
              out[#out + 1] = tonumber(redis.call('HGET', KEYS[6], id) or '0')
              out[#out + 1] = tonumber(receipt)
            end
          end
          return {'OK', redis.call('LLEN', KEYS[2]), duein(), out, now, version}
        end
        local lease = {}
        for i = 1, tonumber(ARGV[3]) do
          local id = redis.call('LPOP', KEYS[2])
          if not id then break end
          local record = redis.call('HGET', KEYS[5], id)
          if record then
            local receipt = tonumber(receiptof(id)) + 1
            redis.call('HSET', KEYS[12], id, receipt)
            local n = redis.call('HINCRBY', KEYS[6], id, 1)
            redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), id)
            out[#out + 1] = id
            out[#out + 1] = record
            out[#out + 1] = n
            out[#out + 1] = receipt
            lease[#lease + 1] = id .. ':' .. receipt
          end
        end
        if #lease > 0 then remember(ARGV[4], table.concat(lease, ','), tonumber(ARGV[5])) end
        return {'OK', redis.call('LLEN', KEYS[2]), duein(), out, now, version}
        """;

    /// <summary>ARGV: epoch, id, receipt number ('' to ack whichever delivery), request key ('' for none: one that acked
    /// within the window answers ACKED again, though the message is gone), window_ms. Returns {ACKED|NOT_FOUND|STALE_RECEIPT, ready, duein, now, version}.</summary>
    public const string Ack = Fence + """
        local id = ARGV[2]
        if recall(ARGV[4]) then return {'ACKED', redis.call('LLEN', KEYS[2]), duein(), now, version} end
        if redis.call('HEXISTS', KEYS[5], id) == 0 then return {'NOT_FOUND', redis.call('LLEN', KEYS[2]), duein(), now, version} end
        if ARGV[3] ~= '' and ARGV[3] ~= receiptof(id) then return {'STALE_RECEIPT', redis.call('LLEN', KEYS[2]), duein(), now, version} end
        if redis.call('ZREM', KEYS[3], id) == 0 and redis.call('ZREM', KEYS[4], id) == 0 then
          if redis.call('LREM', KEYS[2], 1, id) == 0 then redis.call('LREM', KEYS[7], 1, id) end
        end
        redis.call('HDEL', KEYS[5], id)
        redis.call('HDEL', KEYS[6], id)
        redis.call('HDEL', KEYS[12], id)
        remember(ARGV[4], 'ACKED', tonumber(ARGV[5] or '0'))
        return {'ACKED', redis.call('LLEN', KEYS[2]), duein(), now, version}
        """;

    /// <summary>ARGV: epoch, id, delay_ms, max_deliveries, receipt number ('' for any).
    /// Returns {NACKED|DEAD|NOT_IN_FLIGHT|STALE_RECEIPT, ready, duein, now, version}.</summary>
    public const string Nack = Fence + """
        local id = ARGV[2]
        if not redis.call('ZSCORE', KEYS[3], id) then return {'NOT_IN_FLIGHT', redis.call('LLEN', KEYS[2]), duein(), now, version} end
        if ARGV[5] ~= '' and ARGV[5] ~= receiptof(id) then return {'STALE_RECEIPT', redis.call('LLEN', KEYS[2]), duein(), now, version} end
        redis.call('ZREM', KEYS[3], id)
        if tonumber(redis.call('HGET', KEYS[6], id) or '0') >= tonumber(ARGV[4]) then
          redis.call('RPUSH', KEYS[7], id)
          return {'DEAD', redis.call('LLEN', KEYS[2]), duein(), now, version}
        end
        local delay = tonumber(ARGV[3])
        if delay > 0 then
          redis.call('ZADD', KEYS[4], now + delay, id)
        else
          redis.call('LPUSH', KEYS[2], id)
        end
        return {'NACKED', redis.call('LLEN', KEYS[2]), duein(), now, version}
        """;

    /// <summary>ARGV: epoch, id, visibility_ms, receipt number ('' for any).
    /// Returns {EXTENDED|NOT_IN_FLIGHT|STALE_RECEIPT, ready, duein, visible for (ms from now), now, version}.</summary>
    public const string Extend = Fence + """
        local id = ARGV[2]
        if not redis.call('ZSCORE', KEYS[3], id) then return {'NOT_IN_FLIGHT', redis.call('LLEN', KEYS[2]), duein(), 0, now, version} end
        if ARGV[4] ~= '' and ARGV[4] ~= receiptof(id) then return {'STALE_RECEIPT', redis.call('LLEN', KEYS[2]), duein(), 0, now, version} end
        redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), id)
        return {'EXTENDED', redis.call('LLEN', KEYS[2]), duein(), tonumber(ARGV[3]), now, version}
        """;

    /// <summary>
    /// Undoes one lease whose consumer was gone before it got the answer: the message goes back to the front of the
    /// queue now and the delivery is not counted against max_deliveries (its receipt number stays used, so the receipt
    /// that lease made never matches again). Fenced by the receipt: a later delivery is left alone. ARGV: epoch, id,
    /// receipt number. Returns {RELEASED|NOT_IN_FLIGHT|STALE_RECEIPT, ready, duein, now, version}.
    /// </summary>
    public const string Release = Fence + """
        local id = ARGV[2]
        if not redis.call('ZSCORE', KEYS[3], id) then return {'NOT_IN_FLIGHT', redis.call('LLEN', KEYS[2]), duein(), now, version} end
        if ARGV[3] ~= receiptof(id) then return {'STALE_RECEIPT', redis.call('LLEN', KEYS[2]), duein(), now, version} end
        redis.call('ZREM', KEYS[3], id)
        if redis.call('HINCRBY', KEYS[6], id, -1) <= 0 then redis.call('HDEL', KEYS[6], id) end
        redis.call('LPUSH', KEYS[2], id)
        return {'RELEASED', redis.call('LLEN', KEYS[2]), duein(), now, version}
        """;

    /// <summary>
    /// Messages whose visibility timeout passed go back to the front of the queue, or to the dead letters once delivered
    /// max_deliveries times; delayed messages that are due join the back. Also ends stale dedup ids. Run by the owner
    /// when the earliest deadline passes, and when it takes the partition over (which also fences the old owner). Also
    /// forgets request ids older than the window.
    /// ARGV: epoch, max_deliveries, limit, dedup_window_ms. Returns {OK, ready, duein, requeued, dead, promoted, now, version}.
    /// </summary>
    public const string RequeueDue = Fence + """
        local limit = tonumber(ARGV[3])
        local requeued, dead, promoted = 0, 0, 0
        local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
        for _, id in ipairs(expired) do
          redis.call('ZREM', KEYS[3], id)
          if tonumber(redis.call('HGET', KEYS[6], id) or '0') >= tonumber(ARGV[2]) then
            redis.call('RPUSH', KEYS[7], id)
            dead = dead + 1
          else
            redis.call('LPUSH', KEYS[2], id)
            requeued = requeued + 1
          end
        end
        local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, limit)
        for _, id in ipairs(due) do
          redis.call('ZREM', KEYS[4], id)
          redis.call('RPUSH', KEYS[2], id)
          promoted = promoted + 1
        end
        local old = redis.call('ZRANGEBYSCORE', KEYS[9], '-inf', now - tonumber(ARGV[4]), 'LIMIT', 0, limit)
        for _, d in ipairs(old) do
          redis.call('HDEL', KEYS[8], d)
          redis.call('ZREM', KEYS[9], d)
        end
        forget(tonumber(ARGV[4]), limit)
        return {'OK', redis.call('LLEN', KEYS[2]), duein(), requeued, dead, promoted, now, version}
        """;

    /// <summary>Dead letters back to the queue with their delivery count reset (their receipt numbers go on). ARGV: epoch, limit.
    /// Returns {OK, ready, duein, moved, still dead, now, version}.</summary>
    public const string Redrive = Fence + """
        local moved = 0
        for i = 1, tonumber(ARGV[2]) do
          local id = redis.call('LPOP', KEYS[7])
          if not id then break end
          redis.call('HDEL', KEYS[6], id)
          redis.call('RPUSH', KEYS[2], id)
          moved = moved + 1
        end
        return {'OK', redis.call('LLEN', KEYS[2]), duein(), moved, redis.call('LLEN', KEYS[7]), now, version}
        """;

    /// <summary>Read-only, so any node may run it: {ready, in flight, delayed, dead, stored epoch, head record or ''}.</summary>
    public const string Stats = """
        local head = redis.call('LINDEX', KEYS[2], 0)
        local record = ''
        if head then record = redis.call('HGET', KEYS[5], head) or '' end
        return {redis.call('LLEN', KEYS[2]), redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]), redis.call('LLEN', KEYS[7]),
                tonumber(redis.call('GET', KEYS[1]) or '0'), record}
        """;

    /// <summary>Read-only: how many dead letters there are, and the first ARGV[1] of them, in one atomic read:
    /// {count, {id, record, deliveries, ...}}.</summary>
    public const string DeadLetters = """
        local ids = redis.call('LRANGE', KEYS[7], 0, tonumber(ARGV[1]) - 1)
        local out = {}
        for _, id in ipairs(ids) do
          out[#out + 1] = id
          out[#out + 1] = redis.call('HGET', KEYS[5], id) or ''
          out[#out + 1] = redis.call('HGET', KEYS[6], id) or '0'
        end
        return {redis.call('LLEN', KEYS[7]), out}
        """;
}
