-- ingest: dedup + group + incident upsert + timer for each of a batch of
-- alerts, in order.
-- KEYS, two per alert: its group key (points at the open incident of
-- its group), the hash of the fingerprint index holding it (fp_index in
-- common.lua: says which open incident it fires in)
-- ARGV: 1 prefix, 2 now_ms (0 = Redis TIME), then 12 per alert, which
-- the script reads from ARGV[o + n] (o: the alert's offset):
--       1 fingerprint, 2 alert document, 3 action (trigger|acknowledge|
--       resolve, or 'trigger?': a trigger that must not open an incident,
--       see below), 4 ends_ms (0 = none), 5 alert name for the timeline,
--       6 who sends it (the integration),
--       7 version of the silences Go decided with, 8 what Go decided
--       about muting it: '' when nothing mutes it, now or later, else
--       "<why>\n<ms when that may change, 0 = never>\n<inhibition tokens>"
--       (see suppress.lua), and "\nhold" after them when its first page
--       waits (INHIBIT_HOLD_MS),
--       9 the service's storm folding "incidents/window_ms" ('' = off),
--       10 its flap folding "changes/window_ms/hold_ms" ('' = off),
--       11 its severity "<rank>:<name>" ('' = none),
--       12 what only opening (or resolving) an incident needs, as fields
--       "<length>:<bytes>" one after the other (see incident_args):
--       service, escalation, group key suffix, group labels json, title,
--       summary, source url, links json ('' = none; kept on an incident
--       it opens), retention_ms.
-- Returns {incident id, outcome} for each alert, flat; outcome 'stale'
-- (nothing stored) when silences changed since Go's snapshot.
--
-- One call takes many alerts because a script call's fixed cost (the call
-- itself, its arguments, the helpers prepended to it) was a third of an
-- alert's cost in Redis; Go sends a request's alerts in batches small
-- enough not to hold Redis up for long (see Store.Ingest).
--
-- Redis spends most of an alert's time here outside the commands the
-- script calls (issue 13): in making each argument a Lua string, in Lua
-- itself, and in writing Lua numbers back as strings for commands. So an
-- alert takes as few arguments as the common case reads (what opening
-- an incident needs comes as one), the common case builds no table nor
-- closure and hands commands strings, and a re-sent alert that changed
-- nothing writes nothing.
--
-- An alert is found by its fingerprint first, its group second: a config
-- reload that changes grouping or routing must neither page again for an
-- alert already firing nor strand its incident when it resolves.
local P = ARGV[1]
local now = now_ms(ARGV[2])
-- now as commands take it: a number argument would be formatted anew
-- (snprintf) by every command it goes to.
local now_s = string.format('%d', now)
local PER_ALERT = 12

-- Read once a call, not once an alert: the silences' version (nothing
-- changes it while the script runs), whether fingerprint keys of the old
-- layout may remain (until Store.Load moved them all and set fp_migrated;
-- see fp_index in common.lua), and how many alerts are muted, which only
-- suppression changes: then it is read again when next needed.
local head = redis.call('MGET', P .. 'silences:ver', P .. 'fp_migrated', P .. 'muted')
local silences_ver, legacy_fp, muted_n = head[1] or '0', not head[2], tonumber(head[3]) or 0
local function muted()
  if muted_n == nil then muted_n = tonumber(redis.call('GET', P .. 'muted')) or 0 end
  return muted_n
end

-- INHIBIT_HOLD_MS is how long, with several shards, an incident waits
-- before its first page when the alert that opened it — or freed it
-- from suppression by joining it — is the target of an inhibition rule
-- whose source came in the same request (Go marks it: a last line 'hold'
-- in argument 8). The source is stored after it: in another shard, and
-- copied here by the inhibit mirror in milliseconds, or in this one by a
-- later call, when it opens an incident (Store.placeUnknown). A second
-- leaves room for a busy moment.
local INHIBIT_HOLD_MS = 1000

-- The alert being stored, set by ingest for the functions below (upvalues,
-- not arguments or a table: nothing is built an alert).
local o, fp, doc, ends_s, ends, name, decided, flapping

-- incident_args: argument 12's fields, for opening or resolving.
local function incident_args()
  local s, f, pos = ARGV[o + 12], {}, 1
  for i = 1, 9 do
    local colon = string.find(s, ':', pos, true)
    local n = tonumber(string.sub(s, pos, colon - 1))
    f[i] = string.sub(s, colon + 1, colon + n)
    pos = colon + n + 1
  end
  return f
end

-- suppressed: what suppress_alert says, after which the muted count
-- is known again only if nothing could change it. While nothing is
-- muted and nothing mutes the alert (most alerts), there is nothing to
-- do.
local function suppressed(id, fresh)
  if decided == '' and muted_n == 0 then return false end
  local n = muted()
  local why = suppress_alert(P, id, fp, now, name, decided, fresh, n)
  if decided ~= '' or n > 0 then muted_n = nil end
  return why ~= ''
end

-- refresh: a re-sent firing alert refreshes its end, never pages again.
-- A flapping alert held resolved fires again: the flip is absorbed.
-- cur_ends is its end as stored, when known: an alert re-sent unchanged
-- (same end, same document) is not written again.
local function refresh(id, flaps, cur_ends)
  local ik = P .. 'inc:' .. id
  local outcome = 'deduplicated'
  if flaps and folding().flap_refired(P, id, fp, now, flapping, name) then outcome = 'flapping' end
  if outcome ~= 'deduplicated' or cur_ends ~= ends_s then
    redis.call('HSET', ik .. ':firing', fp, ends_s)
    redis.call('HSET', ik .. ':alerts', fp, doc)
  elseif redis.call('HGET', ik .. ':alerts', fp) ~= doc then
    redis.call('HSET', ik .. ':alerts', fp, doc)
  end
  if ends > 0 then redis.call('ZADD', P .. 'timers', 'LT', ends_s, id) end
  if suppressed(id, false) then return tonumber(id), 'suppressed' end
  return tonumber(id), outcome
end

local function ingest(gk, fpx)
  local action, sender = ARGV[o + 3], ARGV[o + 6]

  if action == 'acknowledge' then
    -- A sender acknowledges the incident its alert fires in; an alert we do
    -- not know (or that ended) is dropped, as PagerDuty drops it.
    local id = fp_incident(P, fp)
    if not id then return 0, 'ignored' end
    local ik = P .. 'inc:' .. id
    if redis.call('HEXISTS', ik .. ':firing', fp) == 0
       or redis.call('HGET', ik, 'status') ~= 'triggered' then
      return tonumber(id), 'ignored'
    end
    ack(P, id, now, sender, 'integration')
    return tonumber(id), 'acknowledged'
  end

  if action == 'resolve' then
    local id = fp_incident(P, fp) or redis.call('GET', gk)
    if not id then return 0, 'ignored' end
    local ik = P .. 'inc:' .. id
    local held = flapping ~= '' and folding().flap_resolved(P, id, fp, now, doc, flapping, name)
    if held then return tonumber(id), held end
    if redis.call('HDEL', ik .. ':firing', fp) == 0 then return tonumber(id), 'ignored' end
    forget_fp(P, id, fp)
    if doc ~= '' then
      redis.call('HSET', ik .. ':alerts', fp, doc)
    else
      -- A sender that resolves by key alone (PagerDuty) sends no payload:
      -- keep the alert as it fired, marked resolved. The document is
      -- pagerd's own encoding, so its status field reads exactly so: one
      -- byte in a packed document (store/alertdoc.go), JSON in one
      -- stored before packing.
      local old = redis.call('HGET', ik .. ':alerts', fp)
      if old and string.byte(old, 1) == 1 then
        redis.call('HSET', ik .. ':alerts', fp, (string.gsub(old, '\2', '\3', 1)))
      elseif old then
        redis.call('HSET', ik .. ':alerts', fp, (string.gsub(old, '"status":"firing"', '"status":"resolved"', 1)))
      end
    end
    suppression().release(P, id, fp, now)
    muted_n = nil
    fact(P, id, now, 'alert_resolved', name)
    if redis.call('HLEN', ik .. ':firing') == 0 then
      resolve(P, id, now, 'alerts', '', 'all alerts resolved', tonumber(incident_args()[9]))
      return tonumber(id), 'resolved'
    end
    return tonumber(id), 'alert_resolved'
  end

  -- Decided with an older snapshot of silences, the alert goes back to
  -- Go, which decides again and resends it.
  if silences_ver ~= ARGV[o + 7] then return 0, 'stale' end
  local fid = redis.call('HGET', fpx, fp)
  if not fid and legacy_fp then
    -- Its key of the old layout, if it has one, moves into the index.
    local oldfp = P .. 'fp:' .. fp
    fid = redis.call('GET', oldfp) or nil
    if fid then
      redis.call('HSET', fpx, fp, fid)
      redis.call('DEL', oldfp)
    end
  end

  if fid then
    local fk = P .. 'inc:' .. fid
    local cur = redis.call('HGET', fk .. ':firing', fp)
    if cur then
      local st = redis.call('HMGET', fk, 'status', 'flapping')
      if st[1] ~= 'resolved' then return refresh(fid, st[2], cur) end
    end
  end

  local id = redis.call('GET', gk)
  local outcome = 'grouped'
  local sev = ARGV[o + 11]
  -- With several shards, an alert this shard does not know may fire in
  -- another one, where its group was before a reload moved it: Go asks
  -- the others before it lets this one open an incident for it
  -- (Store.placeUnknown in shards_ingest.go), and nothing is written
  -- meanwhile.
  if not id and ARGV[o + 3] == 'trigger?' then return 0, 'unplaced' end
  if not id then
    local f, storm = incident_args(), ARGV[o + 9]
    local sid = storm ~= '' and folding().storm_for(P, now, f[1], f[2], storm, sender)
    id = open_incident(P, now, gk, f[1], f[2], f[3], f[4],
      f[5], f[6], f[7], f[8], sender, sid)
    outcome = 'triggered'
    if sid then
      folding().fold_into(P, sid, id, now, name, storm)
      outcome = 'folded'
    end
    severity(P, id, now, sev, true)
  elseif sev ~= '' then
    severity(P, id, now, sev, false)
  end
  local ik = P .. 'inc:' .. id
  -- One call both asks whether it already fires here and records it.
  if redis.call('HSETNX', ik .. ':firing', fp, ends_s) == 0 then return refresh(id, true) end

  redis.call('HSET', ik .. ':alerts', fp, doc)
  redis.call('HSET', fpx, fp, id)
  redis.call('HINCRBY', ik, 'alerts_total', '1')
  if outcome == 'grouped' then
    -- fact(P, id, now, 'alert_firing', name), written out: an alert
    -- joining is not published (see published in common.lua), and this
    -- is the fact most written.
    redis.call('XADD', ik .. ':timeline', '*', 'at', now_s, 'event', 'alert_firing',
      'detail', name, 'actor', '', 'via', '')
  end
  if flapping ~= '' and flap_history(P, fp, flapping) then
    folding().flap_fired(P, id, fp, now, flapping, name)
  end
  -- A folded alert stays 'folded': its storm pages (or not) for it.
  local hold = string.sub(decided, -5) == '\nhold'
  if hold then restart_after_ms = INHIBIT_HOLD_MS end
  if suppressed(id, true) and outcome ~= 'folded' then
    outcome = 'suppressed'
  end
  restart_after_ms = 0
  if outcome == 'triggered' and hold then
    -- Its source, sent with it, reaches this shard's copy of the sources
    -- a moment later: the incident waits before its first page, so that
    -- the source mutes it first, as one shard would at once.
    redis.call('ZADD', P .. 'timers', 'XX', 'GT', now + INHIBIT_HOLD_MS, id)
  end
  if ends > 0 then redis.call('ZADD', P .. 'timers', 'LT', ends_s, id) end
  return tonumber(id), outcome
end

local out = {}
for i = 1, #KEYS / 2 do
  o = 2 + (i - 1) * PER_ALERT
  fp, doc, ends_s, name = ARGV[o + 1], ARGV[o + 2], ARGV[o + 4], ARGV[o + 5]
  ends = tonumber(ends_s)
  decided, flapping = ARGV[o + 8], ARGV[o + 10]
  out[2 * i - 1], out[2 * i] = ingest(KEYS[2 * i - 1], KEYS[2 * i])
end
return out
