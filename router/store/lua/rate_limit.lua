-- rate_limit: one integration's rate_limit, shared by every replica, as a
-- GCRA (generic cell rate algorithm): KEYS[1] holds the theoretical
-- arrival time (TAT, in ms) of the next event at the steady rate; a
-- request passes while it would not push the TAT more than a whole burst
-- ahead of now. Bursts of up to `burst` events, refilling evenly.
-- KEYS[1] = the integration's limit key
-- ARGV: 1 prefix, 2 now_ms (0 = Redis TIME), 3 emission interval in ms
--       (period / events; may have a fraction), 4 burst (events),
--       5 cost (the request's events, at most burst), 6 hold_ms (optional:
--       let nothing through for that long, as a provider's Retry-After
--       asks, and count nothing)
-- Returns {1, 0} when the request passes (and is counted), {0, wait_ms}
-- when it does not: how long until it would.
local now = now_ms(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local hold = tonumber(ARGV[6] or '0')
if hold > 0 then
  -- The next event passes at now + hold: its TAT less a burst is then.
  local held = now + hold + (burst - 1) * interval
  if held > tat then
    redis.call('SET', KEYS[1], string.format('%.3f', held), 'PX', math.ceil(held - now))
  end
  return {0, hold}
end
local new_tat = tat + cost * interval
local allow_at = new_tat - burst * interval
if allow_at > now then
  return {0, math.ceil(allow_at - now)}
end
-- The key lives exactly as long as it matters: once the TAT has passed,
-- a missing key and a stale one read the same.
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now))
return {1, 0}
