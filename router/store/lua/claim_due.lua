-- claim_due: take up to ARGV[4] due timers by pushing them a lease into the
-- future. A replica that dies while holding one simply lets the lease run
-- out, and whoever polls next takes it over.
-- ARGV: 1 prefix, 2 now_ms, 3 lease_ms, 4 limit. Returns {now, id1, id2, ...}.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local until_ms = now + tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', P .. 'timers', '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(due) do redis.call('ZADD', P .. 'timers', until_ms, id) end
table.insert(due, 1, tostring(now))
return due
