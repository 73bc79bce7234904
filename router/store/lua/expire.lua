-- expire: resolve the alerts of one incident whose endsAt has passed (the
-- sender stopped re-sending them), and the incident when none is left.
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 retention_ms
-- Returns the number of alerts that expired and whether the incident closed.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
local ik = P .. 'inc:' .. id
if redis.call('HGET', ik, 'status') == 'resolved' then return {0, 0} end
local firing = redis.call('HGETALL', ik .. ':firing')
local expired = 0
for i = 1, #firing, 2 do
  local ends = tonumber(firing[i + 1])
  if ends > 0 and ends <= now then
    redis.call('HDEL', ik .. ':firing', firing[i])
    forget_fp(P, id, firing[i])
    suppression().release(P, id, firing[i], now)
    if folding().flap_settled(P, id, firing[i]) then
      fact(P, id, now, 'alert_resolved', firing[i] .. ' stayed resolved for its hold time (flapping)')
    else
      fact(P, id, now, 'alert_expired', firing[i])
    end
    expired = expired + 1
  end
end
if expired > 0 and redis.call('HLEN', ik .. ':firing') == 0 then
  resolve(P, id, now, 'alerts', '', 'all alerts ended', tonumber(ARGV[4]))
  return {expired, 1}
end
return {expired, 0}
