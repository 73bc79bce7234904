-- append: one fact the engine states (a step reached nobody, a later step
-- started), at most once per once-key when one is given.
-- KEYS[1] = the incident hash
-- ARGV: 1 prefix, 2 id, 3 now_ms, 4 kind, 5 detail, 6 once key ('' = none),
--       7 once ttl_ms
-- Returns 1 when the fact was written, 0 when its once-key was taken or the
-- incident is gone.
local P = ARGV[1]
local ik = KEYS[1]
local now = now_ms(ARGV[3])
if redis.call('EXISTS', ik) == 0 then return 0 end
if ARGV[6] ~= '' then
  if not redis.call('SET', P .. 'once:' .. ARGV[6], 1, 'NX', 'PX', tonumber(ARGV[7])) then return 0 end
end
fact(P, ARGV[2], now, ARGV[4], ARGV[5])
return 1
