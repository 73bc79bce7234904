-- ingest: dedup + group + incident upsert + timer for each of a batch of
-- alerts, in order.
-- KEYS, two per alert: its group key (points at the open incident of
-- its group), the hash of the fingerprint index holding it (fp_index in
-- common.lua: says which open incident it fires in)
-- ARGV: 1 prefix, 2 now_ms (0 = Redis TIME), then 20 per alert, which
-- the script numbers as one alert's call would, from 3:
--       3 fingerprint, 4 alert json,
--       5 action (trigger|acknowledge|resolve), 6 ends_ms (0 = none),
--       7 service, 8 escalation, 9 group key suffix, 10 group labels json,
--       11 title, 12 summary, 13 source url, 14 retention_ms,
--       15 alert name for the timeline, 16 who sends it (the integration),
--       17 links json ('' = none), kept on an incident it opens,
--       18 version of the silences Go decided with, 19 what Go decided
--       about muting it: '' when nothing mutes it, now or later, else
--       "<why>\n<ms when that may change, 0 = never>\n<inhibition tokens>"
--       (see suppress.lua),
--       20 the service's storm folding "incidents/window_ms" ('' = off),
--       21 its flap folding "changes/window_ms/hold_ms" ('' = off),
--       22 its severity "<rank>:<name>" ('' = none)
-- Returns {incident id, outcome} for each alert, flat; outcome 'stale'
-- (nothing stored) when silences changed since Go's snapshot.
--
-- One call takes many alerts because a script call's fixed cost (the call
-- itself, its arguments, the helpers prepended to it) was a third of an
-- alert's cost in Redis; Go sends a request's alerts in batches small
-- enough not to hold Redis up for long (see Store.Ingest).
--
-- An alert is found by its fingerprint first, its group second: a config
-- reload that changes grouping or routing must neither page again for an
-- alert already firing nor strand its incident when it resolves.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local PER_ALERT = 20

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

local function ingest(gk, fpx, A)
  local fp, doc, action, ends = A[3], A[4], A[5], tonumber(A[6])
  local storm, flapping = A[20] or '', A[21] or ''

  if action == 'acknowledge' then
    -- A sender acknowledges the incident its alert fires in; an alert we do
    -- not know (or that ended) is dropped, as PagerDuty drops it.
    local id = fp_incident(P, fp)
    if not id then return {0, 'ignored'} end
    local ik = P .. 'inc:' .. id
    if redis.call('HEXISTS', ik .. ':firing', fp) == 0
       or redis.call('HGET', ik, 'status') ~= 'triggered' then
      return {tonumber(id), 'ignored'}
    end
    ack(P, id, now, A[16], 'integration')
    return {tonumber(id), 'acknowledged'}
  end

  if action == 'resolve' then
    local id = fp_incident(P, fp) or redis.call('GET', gk)
    if not id then return {0, 'ignored'} end
    local ik = P .. 'inc:' .. id
    local held = flapping ~= '' and folding().flap_resolved(P, id, fp, now, doc, flapping, A[15])
    if held then return {tonumber(id), held} end
    if redis.call('HDEL', ik .. ':firing', fp) == 0 then return {tonumber(id), 'ignored'} end
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
    fact(P, id, now, 'alert_resolved', A[15])
    if redis.call('HLEN', ik .. ':firing') == 0 then
      resolve(P, id, now, 'alerts', '', 'all alerts resolved', tonumber(A[14]))
      return {tonumber(id), 'resolved'}
    end
    return {tonumber(id), 'alert_resolved'}
  end

  -- Decided with an older snapshot of silences, the alert goes back to
  -- Go, which decides again and resends it.
  if silences_ver ~= A[18] then return {0, 'stale'} end
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

  -- suppressed: what suppress_alert says, after which the muted count
  -- is known again only if nothing could change it.
  local function suppressed(id, fresh)
    local n = muted()
    local why = suppress_alert(P, id, fp, now, A[15], A[19], fresh, n)
    if A[19] ~= '' or n > 0 then muted_n = nil end
    return why ~= ''
  end

  local function refresh(id, flaps)
    -- Re-sent firing alert: refresh its end, never page again. A flapping
    -- alert held resolved fires again: the flip is absorbed.
    local ik = P .. 'inc:' .. id
    local outcome = 'deduplicated'
    if flaps and folding().flap_refired(P, id, fp, now, flapping, A[15]) then outcome = 'flapping' end
    redis.call('HSET', ik .. ':firing', fp, ends)
    redis.call('HSET', ik .. ':alerts', fp, doc)
    if ends > 0 then redis.call('ZADD', P .. 'timers', 'LT', ends, id) end
    if suppressed(id, false) then return {tonumber(id), 'suppressed'} end
    return {tonumber(id), outcome}
  end

  if fid and redis.call('HEXISTS', P .. 'inc:' .. fid .. ':firing', fp) == 1 then
    local st = redis.call('HMGET', P .. 'inc:' .. fid, 'status', 'flapping')
    if st[1] ~= 'resolved' then return refresh(fid, st[2]) end
  end

  local id = redis.call('GET', gk)
  local outcome = 'grouped'
  if not id then
    local sid = storm ~= '' and folding().storm_for(P, now, A[7], A[8], storm, A[16])
    id = open_incident(P, now, gk, A[7], A[8], A[9], A[10],
      A[11], A[12], A[13], A[17], A[16], sid)
    outcome = 'triggered'
    if sid then
      folding().fold_into(P, sid, id, now, A[15], storm)
      outcome = 'folded'
    end
    severity(P, id, now, A[22], true)
  elseif A[22] ~= '' then
    severity(P, id, now, A[22], false)
  end
  local ik = P .. 'inc:' .. id
  -- One call both asks whether it already fires here and records it.
  if redis.call('HSETNX', ik .. ':firing', fp, ends) == 0 then return refresh(id, true) end

  redis.call('HSET', ik .. ':alerts', fp, doc)
  redis.call('HSET', fpx, fp, id)
  redis.call('HINCRBY', ik, 'alerts_total', 1)
  if outcome == 'grouped' then fact(P, id, now, 'alert_firing', A[15]) end
  if flap_history(P, fp, flapping) then folding().flap_fired(P, id, fp, now, flapping, A[15]) end
  -- A folded alert stays 'folded': its storm pages (or not) for it.
  if suppressed(id, true) and outcome ~= 'folded' then
    outcome = 'suppressed'
  end
  if ends > 0 then redis.call('ZADD', P .. 'timers', 'LT', ends, id) end
  return {tonumber(id), outcome}
end

local out = {}
for i = 1, #KEYS / 2 do
  local base = 3 + (i - 1) * PER_ALERT
  local r = ingest(KEYS[2 * i - 1], KEYS[2 * i], {P, ARGV[2], unpack(ARGV, base, base + PER_ALERT - 1)})
  out[2 * i - 1], out[2 * i] = r[1], r[2]
end
return out
