-- statuspage: an incident published on status pages, one public update
-- per call. The page's record (sp:inc:<id>) outlives the incident: pages
-- show 90 days of history, so a resolved one is kept keep_ms more.
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 pages ("a,b": added to its pages),
--   5 title ('' = keep), 6 status, 7 body, 8 components json (merged into
--   its components; '' = none changed), 9 by, 10 via, 11 source (a key
--   that makes the update once: 'su:3' for the incident's status update
--   #3; '' = always), 12 keep_ms, 13 a fresh public code (used when it is
--   new), 14 service
-- Returns {outcome, update number, code}: 'published' (new on a page),
-- 'updated', or 'duplicate' (source seen: nothing stored).
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id, title, status, body = ARGV[3], ARGV[5], ARGV[6], ARGV[7]
local by, via, source, keep = ARGV[9], ARGV[10], ARGV[11], tonumber(ARGV[12])
local k = P .. 'sp:inc:' .. id

local exists = redis.call('EXISTS', k) == 1
if source ~= '' and exists then
  local seen = redis.call('HGET', k, 'src:' .. source)
  if seen then return {'duplicate', seen, redis.call('HGET', k, 'code')} end
end

local outcome = 'updated'
local pages = {}
if exists then
  for p in string.gmatch(redis.call('HGET', k, 'pages') or '', '[^,]+') do pages[#pages + 1] = p end
else
  redis.call('HSET', k, 'id', id, 'code', ARGV[13], 'service', ARGV[14], 'created_ms', now)
  redis.call('ZADD', P .. 'sp:incidents', now, id)
  outcome = 'published'
end
for p in string.gmatch(ARGV[4], '[^,]+') do
  local found = false
  for _, q in ipairs(pages) do if q == p then found = true end end
  if not found then
    pages[#pages + 1] = p
    if exists then outcome = 'published' end
  end
end
redis.call('HSET', k, 'pages', table.concat(pages, ','))
if title ~= '' then redis.call('HSET', k, 'title', title) end

-- Components: the ones named change state, the others keep theirs.
local comps = cjson.decode(redis.call('HGET', k, 'components') or '{}')
if ARGV[8] ~= '' then
  for name, state in pairs(cjson.decode(ARGV[8])) do comps[name] = state end
end
local encoded = next(comps) and cjson.encode(comps) or '{}'

local n = redis.call('HINCRBY', k, 'seq', 1)
redis.call('HSET', k, 'status', status, 'updated_ms', now, 'components', encoded)
if source ~= '' then redis.call('HSET', k, 'src:' .. source, n) end
if status == 'monitoring' and redis.call('HEXISTS', k, 'monitoring_ms') == 0 then
  redis.call('HSET', k, 'monitoring_ms', now)
end
local doc = cjson.encode({n = n, at_ms = now, status = status, body = body, by = by, via = via})
-- cjson writes an empty table as {} only by luck of its heuristics; the
-- components are spliced in as encoded above.
doc = string.sub(doc, 1, -2) .. ',"components":' .. encoded .. '}'
redis.call('RPUSH', k .. ':updates', doc)
if status == 'resolved' then
  redis.call('HSET', k, 'resolved_ms', now)
  redis.call('ZREM', P .. 'sp:active', id)
  redis.call('PEXPIRE', k, keep)
  redis.call('PEXPIRE', k .. ':updates', keep)
else
  redis.call('HDEL', k, 'resolved_ms')
  redis.call('ZADD', P .. 'sp:active', now, id)
  redis.call('PERSIST', k)
  redis.call('PERSIST', k .. ':updates')
end
-- History older than the retention leaves the index (its keys expired).
redis.call('ZREMRANGEBYSCORE', P .. 'sp:incidents', '-inf', now - keep - 86400000)

-- The update is a fact of the incident, published for the subscribers'
-- consumer; an incident whose own retention ran out still publishes it.
if redis.call('EXISTS', P .. 'inc:' .. id) == 1 then
  fact(P, id, now, 'public_update', body, by, via, tostring(n))
else
  redis.call('XADD', P .. 'events', '*', 'incident', id, 'service', ARGV[14], 'at', now,
    'event', 'public_update', 'detail', body, 'actor', by, 'via', via, 'tag', tostring(n))
end
redis.call('XADD', P .. 'sp:changes', 'MAXLEN', '~', 100, '*', 'incident', id)
return {outcome, tostring(n), redis.call('HGET', k, 'code')}
