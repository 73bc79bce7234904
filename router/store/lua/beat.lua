-- beat: a heartbeat says it is alive: it is expected again within window.
-- Its deadline goes in the timers (moving a claim another replica holds
-- on it: that replica's reschedule then leaves it be).
-- KEYS[1] = the heartbeat's hash
-- ARGV: 1 prefix, 2 now_ms, 3 name, 4 window_ms
-- Returns {now, deadline, missed_ms}: missed_ms is when the miss this beat
-- ends was found, 0 when it was not missed.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local deadline = now + tonumber(ARGV[4])
local missed = tonumber(redis.call('HGET', KEYS[1], 'missed') or '0') or 0
redis.call('HSETNX', KEYS[1], 'first', now)
redis.call('HSET', KEYS[1], 'last', now, 'missed', 0)
redis.call('HDEL', KEYS[1], 'fp')
redis.call('SADD', P .. 'heartbeats', ARGV[3])
redis.call('ZADD', P .. 'timers', deadline, 'hb:' .. ARGV[3])
return {now, deadline, missed}
