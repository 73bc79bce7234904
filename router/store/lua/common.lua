-- Shared helpers, prepended to every script. P is the key prefix (it carries
-- the hash tag, so every key a script touches lives in one cluster slot).
local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- published: the fact kinds that also go out on the event stream;
-- incident.Kind's Published says the same, and a test holds the two
-- together. A chain of comparisons, not a table: this file runs on every
-- call, and a table would be built every time.
local function published(kind)
  return kind == 'triggered' or kind == 'acknowledged' or kind == 'escalated'
    or kind == 'reopened' or kind == 'resolved' or kind == 'note'
    or kind == 'rerouted'
    or kind == 'storm_passed'
    or kind == 'severity_changed' or kind == 'role_assigned' or kind == 'status_update'
    or kind == 'public_update'
    or kind == 'postmortem_done'
    or kind == 'action_added' or kind == 'action_done'
    or kind == 'escalation_exhausted'
end

-- fact: append one fact to incident id's timeline (kept whole, for as long
-- as the incident), and publish it on the event stream when consumers
-- care about its kind — unless the incident is folded into a storm: the
-- storm's facts speak for it, and a storm must not flood every consumer.
-- tag and doc are optional: a word qualifying the fact (a note's mark, an
-- update's state), and a JSON document the event carries for consumers
-- (a status update).
local function fact(P, id, at, kind, detail, actor, via, tag, doc)
  local ik = P .. 'inc:' .. id
  detail, actor, via = detail or '', actor or '', via or ''
  if tag and tag ~= '' then
    redis.call('XADD', ik .. ':timeline', '*', 'at', at, 'event', kind,
      'detail', detail, 'actor', actor, 'via', via, 'tag', tag)
  else
    -- Every fact has the same five fields, empty or not, even an alert
    -- joining (most facts), which has no actor: a stream stores the field
    -- names once for a block of entries that have the fields of its first
    -- one (a 'triggered' fact, which has an actor), and each entry's own
    -- otherwise, which cost more than two empty values.
    redis.call('XADD', ik .. ':timeline', '*', 'at', at, 'event', kind,
      'detail', detail, 'actor', actor, 'via', via)
  end
  if published(kind) then
    local h = redis.call('HMGET', ik, 'service', 'folded_into')
    if h[2] then return end
    local ev = {P .. 'events', '*', 'incident', id,
      'service', h[1] or '', 'at', at, 'event', kind,
      'detail', detail, 'actor', actor, 'via', via}
    if tag and tag ~= '' then ev[#ev + 1] = 'tag'; ev[#ev + 1] = tag end
    if doc and doc ~= '' then ev[#ev + 1] = 'doc'; ev[#ev + 1] = doc end
    redis.call('XADD', unpack(ev))
  end
end

-- severity: give incident id the severity sev ("<rank>:<name>", '' =
-- none) an alert of it maps to, when that is more severe than the one it
-- has and no person set it (then theirs stands). An incident opening
-- with it takes it silently (its triggered fact says enough); a raise is
-- a fact, and restarts the manager and update clocks.
local function severity(P, id, now, sev, opened)
  if sev == '' then return end
  local rank, name = string.match(sev, '^(%d+):(.+)$')
  local ik = P .. 'inc:' .. id
  local cur = redis.call('HMGET', ik, 'sev_rank', 'sev_by', 'sev')
  if cur[2] and cur[2] ~= '' then return end
  if cur[1] and tonumber(cur[1]) <= tonumber(rank) then return end
  redis.call('HSET', ik, 'sev', name, 'sev_rank', rank, 'sev_ms', now)
  if not opened then
    fact(P, id, now, 'severity_changed', (cur[3] or 'none') .. ' → ' .. name, 'alerts')
    redis.call('ZADD', P .. 'timers', now, id)
  end
end

-- next_id: the next number of a counter ('seq': incident ids,
-- 'actions:seq': action item numbers). A deployment of one shard counts
-- with the counter itself. One of several (store/shards.go) has 'ids',
-- which Store.Load writes: the shard counts its own with '<counter>s',
-- and its c-th is base + (c-1) * shards + index + 1 — an id names its
-- shard, and ids stay as short as the count of all of them. Numbers up
-- to base were issued before the deployment was sharded, by the home
-- shard.
local function next_id(P, counter)
  local ids = redis.call('HMGET', P .. 'ids', counter, 'n', 'k')
  if not ids[1] then return redis.call('INCR', P .. counter) end
  local c = redis.call('INCR', P .. counter .. 's')
  return tonumber(ids[1]) + (c - 1) * tonumber(ids[2]) + tonumber(ids[3]) + 1
end

-- open_incident: a new triggered incident of a service for the group
-- whose key is gk (group is that key without the prefix), due for the
-- engine at once; sender is who opened it, for the timeline. Returns its
-- id. One opened folded into a storm (folded: the storm's id; see
-- fold.lua's fold_into) pages nobody: no timer, and its timeline starts
-- with the fold, not a published 'triggered'.
local function open_incident(P, now, gk, service, escalation, group, group_labels,
    title, summary, source_url, links, sender, folded, via)
  local id = next_id(P, 'seq')
  local ik = P .. 'inc:' .. id
  redis.call('HSET', ik, 'id', id, 'service', service, 'escalation', escalation,
    'group', group, 'group_labels', group_labels, 'title', title,
    'summary', summary, 'source_url', source_url, 'status', 'triggered',
    'created_ms', now, 'run', 0, 'run_ms', now, 'rev', 1)
  if links ~= '' then redis.call('HSET', ik, 'links', links) end
  redis.call('SET', gk, id)
  redis.call('ZADD', P .. 'open', now, id)
  redis.call('ZADD', P .. 'incidents', now, id)
  if not folded then
    redis.call('ZADD', P .. 'timers', now, id)
    fact(P, id, now, 'triggered', title, sender, via)
    -- Redis allocates a stream's block of entries at 4 KB from its first
    -- entry, to grow it in place: 4.7 KB for a timeline of one fact, more
    -- than all else an incident of a few alerts costs. Written back from
    -- its DUMP, the block has the size of what it holds (~750 bytes) and
    -- grows as facts come; a block that fills up is sized to fit anyway.
    local tk = ik .. ':timeline'
    -- pcall: the embedded Redis pagerd runs without one configured
    -- (miniredis) cannot DUMP a stream; there the block stays as it is.
    local dump = redis.pcall('DUMP', tk)
    if type(dump) == 'string' then redis.call('RESTORE', tk, 0, dump, 'REPLACE') end
  end
  return id
end

-- The fingerprint index says which open incident each firing alert fires
-- in. It is split over 4,096 hashes by the last three characters of the
-- fingerprint (hex for every sender's alerts), "fpx:<abc>": a key per
-- alert cost Redis ~72 bytes an alert (its keyspace entry, key name and
-- value object), a field of a hash of some dozens, kept in Redis's compact
-- listpack encoding, ~25 (issue 13, target 4). A deployment upgraded with
-- alerts open still has the old keys, "fp:<fingerprint>": the first
-- replica to start moves them into the index (Store.Load, migrate_fp.lua)
-- and sets fp_migrated. Until then ingest reads them when the index
-- misses, and moves those it meets; the paths where it costs little
-- (acknowledge, resolve, inhibition) always do.

-- fp_index: the key of the hash of the fingerprint index holding fp.
-- Store.fpIndexKey says the same in Go.
local function fp_index(P, fp)
  return P .. 'fpx:' .. string.sub(fp, -3)
end

-- fp_incident: the id of the open incident fp fires in, or nil.
local function fp_incident(P, fp)
  return redis.call('HGET', fp_index(P, fp), fp) or redis.call('GET', P .. 'fp:' .. fp) or nil
end

-- forget_fp: drop the fingerprint index entry of an alert that stopped
-- firing in incident id (unless it already points elsewhere).
local function forget_fp(P, id, fp)
  local k = fp_index(P, fp)
  local cur = redis.call('HGET', k, fp)
  if cur then
    if cur == tostring(id) then redis.call('HDEL', k, fp) end
    return
  end
  k = P .. 'fp:' .. fp -- the old layout
  if redis.call('GET', k) == tostring(id) then redis.call('DEL', k) end
end

-- ack: a person (or a sender) takes a triggered incident; paging stops and
-- the engine wakes to tell whoever was paged.
local function ack(P, id, at, by, via)
  local ik = P .. 'inc:' .. id
  redis.call('HSET', ik, 'status', 'acknowledged', 'acked_ms', at, 'acked_by', by)
  redis.call('HINCRBY', ik, 'rev', 1)
  redis.call('ZADD', P .. 'timers', at, id)
  fact(P, id, at, 'acknowledged', '', by, via)
end

-- close: mark an incident resolved, free its group and its alerts'
-- fingerprints for a new incident, keep its keys for the retention period,
-- and wake the engine to send notices.
local function close(P, id, at, by, retention_ms)
  local ik = P .. 'inc:' .. id
  redis.call('HSET', ik, 'status', 'resolved', 'resolved_ms', at, 'resolved_by', by)
  redis.call('HINCRBY', ik, 'rev', 1)
  local grp = redis.call('HGET', ik, 'group')
  if grp and redis.call('GET', P .. grp) == tostring(id) then
    redis.call('DEL', P .. grp)
  end
  for _, fp in ipairs(redis.call('HKEYS', ik .. ':firing')) do forget_fp(P, id, fp) end
  redis.call('ZREM', P .. 'open', id)
  for _, suffix in ipairs({'', ':alerts', ':firing', ':timeline', ':notified', ':sends',
      ':flap', ':folded', ':names', ':updates', ':places'}) do
    redis.call('PEXPIRE', ik .. suffix, retention_ms)
  end
  -- Where its chat messages are (keep_message.lua) goes with it.
  for _, place in ipairs(redis.call('SMEMBERS', ik .. ':places')) do
    redis.call('PEXPIRE', P .. 'msgat:' .. place, retention_ms)
  end
  -- One incident fewer open in its storm; a storm that passed resolves
  -- with its last one (the engine looks at it now).
  local sid = redis.call('HGET', ik, 'folded_into')
  if sid then
    local sk = P .. 'inc:' .. sid
    local st = redis.call('HMGET', sk, 'status', 'storm_passed_ms')
    if st[1] then redis.call('HINCRBY', sk, 'folded_open', -1) end
    if st[2] and st[1] ~= 'resolved' then
      redis.call('ZADD', P .. 'timers', at, sid)
    end
  end
  redis.call('ZADD', P .. 'timers', at, id)
  -- Sweep a few of the oldest listed incidents whose retention ran out, so
  -- the listing index does not grow forever.
  for _, old in ipairs(redis.call('ZRANGE', P .. 'incidents', 0, 19)) do
    if redis.call('EXISTS', P .. 'inc:' .. old) == 0 then redis.call('ZREM', P .. 'incidents', old) end
  end
end

-- resolve: a person (or the alerts ending) closes an incident, with the
-- fact that says who.
local function resolve(P, id, at, by, via, detail, retention_ms)
  fact(P, id, at, 'resolved', detail, by, via)
  close(P, id, at, by, retention_ms)
end

-- keep_like_incident: a key written after an incident closed expires with it.
local function keep_like_incident(ik, key)
  local ttl = redis.call('PTTL', ik)
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end
