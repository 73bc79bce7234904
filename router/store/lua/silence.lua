-- silence: add a silence or change one (expire it), unless it changed
-- since the caller read it. Silences are JSON documents in one hash, with
-- their ends in a sorted set for pruning. Every change bumps
-- 'silences:ver' — the version each ingest checks Go's snapshot against —
-- and has the engine look again at every open incident at once, since
-- any of their alerts may be muted or freed.
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 the document as read ('' = new),
--       5 the new document, 6 its end ms, 7 how long ended silences are
--       kept (ms)
-- Returns 'ok', or 'conflict' when the silence is not as read.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
if (redis.call('HGET', P .. 'silences', id) or '') ~= ARGV[4] then return 'conflict' end
redis.call('HSET', P .. 'silences', id, ARGV[5])
redis.call('ZADD', P .. 'silences:ends', ARGV[6], id)
redis.call('INCR', P .. 'silences:ver')
for _, old in ipairs(redis.call('ZRANGEBYSCORE', P .. 'silences:ends', '-inf', now - tonumber(ARGV[7]))) do
  redis.call('HDEL', P .. 'silences', old)
  redis.call('ZREM', P .. 'silences:ends', old)
end
suppression().review_open(P, now)
return 'ok'
