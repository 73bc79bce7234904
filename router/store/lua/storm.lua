-- storm: a storm incident passes once no new incident folded into it for
-- its window: it takes no more, its timeline says so, and it resolves as
-- soon as every incident folded into it is resolved (at once when they
-- all are). The engine calls it when the storm is due to pass, and again
-- when its last open folded incident resolved; calling it early or twice
-- changes nothing.
-- KEYS[1] = the storm incident hash
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 retention_ms
-- Returns {passed (0|1), resolved now (0|1)}.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
local ik = KEYS[1]
local st = redis.call('HMGET', ik, 'status', 'storm', 'storm_last_ms', 'storm_window_ms',
  'storm_passed_ms', 'folded', 'folded_open', 'service')
if st[2] ~= '1' or not st[1] or st[1] == 'resolved' then return {0, 0} end
local open = tonumber(st[7]) or 0
if not st[5] then
  local window = tonumber(st[4])
  if now < tonumber(st[3]) + window then return {0, 0} end
  redis.call('HSET', ik, 'storm_passed_ms', now)
  redis.call('HINCRBY', ik, 'rev', 1)
  local sk = P .. 'storm:' .. st[8]
  if redis.call('GET', sk) == id then redis.call('DEL', sk) end
  local folded = tonumber(st[6]) or 0
  fact(P, id, now, 'storm_passed', 'no new incident for ' .. folding().span(window) .. '; ' .. folded ..
    (folded == 1 and ' incident' or ' incidents') .. ' folded, ' .. open .. ' still open')
end
if open <= 0 then
  resolve(P, id, now, 'alerts', '', 'the storm passed and every incident folded into it is resolved', tonumber(ARGV[4]))
  return {1, 1}
end
return {1, 0}
