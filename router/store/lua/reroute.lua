-- reroute: an incident that no service owned ("unrouted") hands its firing
-- alerts to the services a reloaded config gives them, atomically, so
-- that replicas doing it at once move each alert once.
-- KEYS[1] = anchor
-- ARGV: 1 prefix, 2 now_ms, 3 incident id, 4 the unrouted service's name,
--       5 '1' when some of its firing alerts still match no service,
--       6 retention_ms, 7 who reroutes (for the timeline), 8 number of
--       targets, then for each target: 1 service, 2 escalation, 3 group key
--       suffix, 4 group labels json, 5 title, 6 summary, 7 source url,
--       8 links json, 9 its alert count n, then n pairs (fingerprint,
--       alert name for the timeline).
-- Returns the ids of the incidents that took alerts ({} when the incident
-- is no longer unrouted and open: another replica did it).
--
-- The incident itself moves to the first target whose group has no open
-- incident, unless some of its alerts stay unrouted: it keeps its id and
-- timeline, and pages from now on as its new service says. Alerts of a
-- target whose group has an open incident join it; those of any further
-- target open a new incident. An incident left without firing alerts
-- resolves.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
local ik = P .. 'inc:' .. id
local status = redis.call('HGET', ik, 'status')
if not status or status == 'resolved' or redis.call('HGET', ik, 'service') ~= ARGV[4] then
  return {}
end
local taken = ARGV[5] == '1'
local by = ARGV[7]
local out = {}
local i = 9
for _ = 1, tonumber(ARGV[8]) do
  local svc, esc, grp, labels = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local title, summary, src, links = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]
  local first, n = i + 9, tonumber(ARGV[i + 8])
  i = first + 2 * n
  local firing = {} -- the argument positions of its alerts still firing here
  for j = first, first + 2 * n - 1, 2 do
    if redis.call('HEXISTS', ik .. ':firing', ARGV[j]) == 1 then firing[#firing + 1] = j end
  end
  local gk = P .. grp
  local target = #firing > 0 and redis.call('GET', gk)
  if #firing == 0 then
    -- moved already
  elseif not target and not taken then
    local old = redis.call('HGET', ik, 'group')
    if old and redis.call('GET', P .. old) == id then redis.call('DEL', P .. old) end
    redis.call('HSET', ik, 'service', svc, 'escalation', esc, 'group', grp,
      'group_labels', labels, 'title', title, 'summary', summary, 'source_url', src, 'run_ms', now)
    if links ~= '' then redis.call('HSET', ik, 'links', links) else redis.call('HDEL', ik, 'links') end
    redis.call('HDEL', ik, 'escalations')
    redis.call('HINCRBY', ik, 'rev', 1)
    redis.call('SET', gk, id)
    redis.call('HSET', ik, 'review', 1) -- its new service's windows may mute its alerts
    redis.call('ZADD', P .. 'timers', now, id)
    fact(P, id, now, 'rerouted', 'to service ' .. svc, by)
    taken = true
    out[#out + 1] = tonumber(id)
  else
    local joined = target
    if not target then
      target = open_incident(P, now, gk, svc, esc, grp, labels, title, summary, src, links, by)
    end
    local tk = P .. 'inc:' .. target
    for _, j in ipairs(firing) do
      local fp = ARGV[j]
      local ends = redis.call('HGET', ik .. ':firing', fp)
      redis.call('HSET', tk .. ':firing', fp, ends)
      local doc = redis.call('HGET', ik .. ':alerts', fp)
      if doc then redis.call('HSET', tk .. ':alerts', fp, doc) end
      redis.call('HDEL', ik .. ':firing', fp)
      suppression().move(P, id, target, fp)
      redis.call('HSET', fp_index(P, fp), fp, target)
      redis.call('DEL', P .. 'fp:' .. fp) -- the old layout's entry, if any
      redis.call('HINCRBY', tk, 'alerts_total', 1)
      if joined then fact(P, target, now, 'alert_firing', ARGV[j + 1]) end
      if tonumber(ends) > 0 then redis.call('ZADD', P .. 'timers', 'LT', ends, target) end
    end
    suppression().sync(P, id, now, '')
    suppression().sync(P, target, now, '')
    redis.call('HSET', tk, 'review', 1) -- its service's windows may mute them
    redis.call('ZADD', P .. 'timers', 'LT', now, target)
    fact(P, id, now, 'rerouted', #firing .. ' alert(s) to incident #' .. target .. ' of service ' .. svc, by)
    out[#out + 1] = tonumber(target)
  end
end
if not taken and redis.call('HLEN', ik .. ':firing') == 0 then
  resolve(P, id, now, by, '', 'its alerts moved to their services', tonumber(ARGV[6]))
end
return out
