-- renew: a replica still working on an incident keeps its claims alive (a
-- heartbeat), or gives them back, so that claims can be short: when the
-- replica dies, another takes over within one lease.
-- KEYS[1] = the incident hash
-- ARGV: 1 prefix, 2 now_ms, 3 what ('timer' | 'send'), 4 id,
--       5 for timer: the lease score we hold; for send: the send key,
--       6 for timer: our claim token; for send: the owner,
--       7 lease_ms (0 = give it back)
-- Returns the new timer score (timer), 1 (send), or 0 when the claim is no
-- longer ours: someone acted on the incident, or another replica took over.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local lease = tonumber(ARGV[7])
if ARGV[3] == 'timer' then
  if redis.call('HGET', P .. 'claims', ARGV[4]) ~= ARGV[6] then return 0 end
  local score = redis.call('ZSCORE', P .. 'timers', ARGV[4])
  if not score or tonumber(score) ~= tonumber(ARGV[5]) then
    -- Someone moved the timer (an ack): the claim ends, theirs stands.
    redis.call('HDEL', P .. 'claims', ARGV[4])
    return 0
  end
  if lease == 0 then
    -- Given back: due now, for whichever replica polls next.
    redis.call('HDEL', P .. 'claims', ARGV[4])
    redis.call('ZADD', P .. 'timers', now, ARGV[4])
    return now
  end
  redis.call('ZADD', P .. 'timers', now + lease, ARGV[4])
  return now + lease
end
local sends = KEYS[1] .. ':sends'
local cur = redis.call('HGET', sends, ARGV[5]) or ''
local held = string.match(cur, '^pending:%d+:')
if not held or cur ~= held .. ARGV[6] then return 0 end
if lease > 0 then
  redis.call('HSET', sends, ARGV[5], 'pending:' .. (now + lease) .. ':' .. ARGV[6])
else
  redis.call('HDEL', sends, ARGV[5])
end
return 1
