-- reschedule: after processing, set the next wake-up — unless the claim is
-- no longer ours, or someone moved the timer since (an ack, a new alert);
-- then theirs stands. The earliest endsAt of the incident's firing alerts
-- is read here, not taken from the caller, so an alert that joined while
-- the caller worked still expires on time.
-- ARGV: 1 prefix, 2 id, 3 lease score we hold, 4 next due ms (0 = none),
--       5 our claim token
local P = ARGV[1]
local id = ARGV[2]
if redis.call('HGET', P .. 'claims', id) ~= ARGV[5] then return 0 end
redis.call('HDEL', P .. 'claims', id)
local score = redis.call('ZSCORE', P .. 'timers', id)
if not score or tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
local next = tonumber(ARGV[4])
local ik = P .. 'inc:' .. id
if redis.call('HGET', ik, 'status') ~= 'resolved' then
  local firing = redis.call('HVALS', ik .. ':firing')
  for _, v in ipairs(firing) do
    local ends = tonumber(v)
    if ends > 0 and (next == 0 or ends < next) then next = ends end
  end
end
if next == 0 then
  redis.call('ZREM', P .. 'timers', id)
else
  -- Only this timer moves, so the head moved earlier exactly when next
  -- is earlier than the head was (which may be this timer's lease): one
  -- look at the head, not wake_if_earlier's two.
  local head = timers_head(P)
  redis.call('ZADD', P .. 'timers', next, id)
  if not head or next < tonumber(head) then
    redis.pcall('PUBLISH', P .. 'wake', string.format('%d', next))
  end
end
return 1
