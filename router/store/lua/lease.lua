-- lease: take or keep a named lease for one owner, so that exactly one
-- replica at a time does a job (reading a consumer group in order, say).
-- ARGV: 1 prefix, 2 name, 3 owner, 4 ttl_ms (0 = release)
-- Returns 1 when owner holds the lease afterwards, 0 otherwise.
local k = ARGV[1] .. 'lease:' .. ARGV[2]
local cur = redis.call('GET', k)
if tonumber(ARGV[4]) == 0 then
  if cur == ARGV[3] then redis.call('DEL', k) end
  return 0
end
if cur and cur ~= ARGV[3] then return 0 end
redis.call('SET', k, ARGV[3], 'PX', tonumber(ARGV[4]))
return 1
