-- reschedule: after processing, set the next wake-up — unless someone moved
-- the timer since our claim (an ack, a new alert); then theirs stands.
-- ARGV: 1 prefix, 2 id, 3 lease score we set, 4 next due ms (0 = none)
local P = ARGV[1]
local score = redis.call('ZSCORE', P .. 'timers', ARGV[2])
if not score or tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
if tonumber(ARGV[4]) == 0 then
  redis.call('ZREM', P .. 'timers', ARGV[2])
else
  redis.call('ZADD', P .. 'timers', ARGV[4], ARGV[2])
end
return 1
