-- heartbeats: a replica starts or reloads with these heartbeats. One the
-- deployment has not seen is registered, its first deadline counting from
-- now; then every registered one is made due now, so that the engine checks
-- each against the config in force (a changed period, a removed heartbeat).
-- KEYS[1] = the timers (the deployment's slot)
-- ARGV: 1 prefix, 2 now_ms, then name, window_ms pairs
local P = ARGV[1]
local now = now_ms(ARGV[2])
for i = 3, #ARGV, 2 do
  local name = ARGV[i]
  if redis.call('HSETNX', P .. 'hb:' .. name, 'first', now) == 1 then
    redis.call('HSET', P .. 'hb:' .. name, 'last', 0, 'missed', 0)
    redis.call('SADD', P .. 'heartbeats', name)
    redis.call('ZADD', P .. 'timers', now + tonumber(ARGV[i + 1]), 'hb:' .. name)
  end
end
for _, name in ipairs(redis.call('SMEMBERS', P .. 'heartbeats')) do
  redis.call('ZADD', P .. 'timers', 'LT', now, 'hb:' .. name)
end
return 1
