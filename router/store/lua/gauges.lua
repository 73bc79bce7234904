-- gauges: what /metrics says of the state every replica shares, read at
-- scrape time in one call: the open incidents by service and status, and
-- how many timers are due and not taken up (a claimed timer's score is
-- its lease's end, in the future).
-- Counting the open incidents is O(open incidents), about 3.5 µs each,
-- so the counts are kept for max_age and shared by every replica's
-- scrapes: however many replicas and Prometheus servers scrape, Redis
-- counts once per max_age. The due timers are always counted afresh (one
-- ZCOUNT).
-- ARGV: 1 prefix, 2 now_ms, 3 max_age_ms (0: count afresh)
-- Returns {due, counted_at_ms, service1, status1, count1, service2, ...}.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local max_age = tonumber(ARGV[3])
local ck = P .. 'gauges'
local flat
if max_age > 0 then
  local c = redis.call('GET', ck)
  if c then
    local cached = cjson.decode(c)
    if cached.at <= now and now - cached.at < max_age then flat = cached end
  end
end
if not flat then
  local counts, order = {}, {}
  for _, id in ipairs(redis.call('ZRANGE', P .. 'open', 0, -1)) do
    local h = redis.call('HMGET', P .. 'inc:' .. id, 'service', 'status')
    if h[1] and h[2] and h[2] ~= 'resolved' then
      local k = h[1] .. '\n' .. h[2]
      if not counts[k] then
        counts[k] = 0
        table.insert(order, k)
      end
      counts[k] = counts[k] + 1
    end
  end
  flat = {at = now, rows = {}}
  for _, k in ipairs(order) do
    local nl = string.find(k, '\n', 1, true)
    table.insert(flat.rows, {string.sub(k, 1, nl - 1), string.sub(k, nl + 1), counts[k]})
  end
  if max_age > 0 then
    redis.call('SET', ck, cjson.encode(flat), 'PX', max_age)
  end
end
local out = {redis.call('ZCOUNT', P .. 'timers', '-inf', now), flat.at}
for _, r in ipairs(flat.rows) do
  table.insert(out, r[1])
  table.insert(out, r[2])
  table.insert(out, r[3])
end
return out
