-- finish_send: record a notification's outcome, its timeline fact and who
-- was reached (for resolved notices).
-- KEYS[1] = send key
-- ARGV: 1 prefix, 2 id, 3 now_ms, 4 result ('done:<receipt>'), 5 keep_ms,
--       6 event, 7 detail, 8 notified member ('' = none)
local P = ARGV[1]
local now = now_ms(ARGV[3])
redis.call('SET', KEYS[1], ARGV[4], 'PX', tonumber(ARGV[5]))
local ik = P .. 'inc:' .. ARGV[2]
if redis.call('EXISTS', ik) == 1 then
  timeline(P, ARGV[2], now, ARGV[6], ARGV[7])
  if ARGV[8] ~= '' then
    redis.call('SADD', ik .. ':notified', ARGV[8])
    local ttl = redis.call('PTTL', ik)
    if ttl > 0 then redis.call('PEXPIRE', ik .. ':notified', ttl) end
  end
end
return 1
