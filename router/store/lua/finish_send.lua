-- finish_send: record a notification's outcome, its timeline fact and who
-- was reached (for acknowledged/resolved notices).
-- KEYS[1] = the incident hash
-- ARGV: 1 prefix, 2 id, 3 now_ms, 4 result ('done:<receipt>'), 5 send key,
--       6 fact kind ('' = none), 7 detail, 8 reached recipient as JSON ('' = none)
local P = ARGV[1]
local ik = KEYS[1]
local now = now_ms(ARGV[3])
if redis.call('EXISTS', ik) == 0 then return 0 end
redis.call('HSET', ik .. ':sends', ARGV[5], ARGV[4])
keep_like_incident(ik, ik .. ':sends')
-- No fact kind: the caller states one fact for many sends itself.
if ARGV[6] ~= '' then fact(P, ARGV[2], now, ARGV[6], ARGV[7]) end
if ARGV[8] ~= '' then
  redis.call('SADD', ik .. ':notified', ARGV[8])
  keep_like_incident(ik, ik .. ':notified')
  -- A page that lands after the incident was handled: wake the engine so
  -- this person, too, hears that it was acknowledged or resolved.
  if redis.call('HGET', ik, 'status') ~= 'triggered' then
    local head = timers_head(P)
    redis.call('ZADD', P .. 'timers', now, ARGV[2])
    wake_if_earlier(P, head)
  end
end
return 1
