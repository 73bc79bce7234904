-- Storm and flap folding, prepended after common.lua to the scripts that
-- open, close or act on incidents (see store.go). Every count lives in
-- Redis and changes inside one script, so replicas share it and a storm is
-- counted once however many replicas receive its alerts.
--
-- Keys (P carries the hash tag):
--   opens:<service>    list of recent incident openings (ms), at most limit+1
--   storm:<service>    id of the storm incident taking the service's new incidents
--   inc:<id>:folded    sorted set of the incidents folded into storm <id>, by opening
--   inc:<id>:names     alert name -> incidents folded into storm <id>
--   flap:<fp>          list of an alert's recent state changes (ms), at most changes+1
--   inc:<id>:flap      fingerprint -> 'firing' | 'held', for the flapping alerts of <id>
--
-- A script run creates every function its chunk defines, on every run,
-- and closures over common.lua's helpers are not free: an ordinary alert
-- would pay for them on each of the thousands of runs a storm of requests
-- makes. So the folding functions are built by folding(), called only
-- where a storm or a flap is in play; flap_history is the one check an
-- ordinary new alert makes.

-- A service's folding comes as two arguments, parsed only when used:
-- storm "incidents/window_ms", flapping "changes/window_ms/hold_ms"; ''
-- turns either off.

-- flap_history reports whether alert fp changed state lately, so that its
-- firing may be a flip (spec: its service's flapping).
local function flap_history(P, fp, spec)
  return spec ~= '' and redis.call('EXISTS', P .. 'flap:' .. fp) == 1
end

-- folding returns the storm and flap functions below.
local function folding()
  -- numbers: a folding argument's numbers.
  local function numbers(spec)
    local a, b, c = string.match(spec, '^(%d+)/(%d+)/?(%d*)$')
    return tonumber(a) or 0, tonumber(b) or 0, tonumber(c) or 0
  end

  -- span: a window in ms as people write it: 90s, 5m, 1h.
  local function span(ms)
    local s = math.floor(ms / 1000)
    if s % 3600 == 0 then return (s / 3600) .. 'h' end
    if s % 60 == 0 then return (s / 60) .. 'm' end
    return s .. 's'
  end

  -- recent: record one event at now in list key k, kept to the last keep
  -- entries for window_ms; reports whether all keep of them fall within the
  -- window (more than keep-1 events in it).
  local function recent(k, now, keep, window_ms, times)
    local n
    if times == 2 then n = redis.call('RPUSH', k, now, now) else n = redis.call('RPUSH', k, now) end
    if n > keep then
      redis.call('LTRIM', k, -keep, -1)
      n = keep
    end
    redis.call('PEXPIRE', k, window_ms)
    return n == keep and tonumber(redis.call('LINDEX', k, 0)) > now - window_ms
  end

  -- storm_for: the storm incident a new incident of service svc is folded
  -- into, or nil when it opens on its own. A storm starts when more than
  -- limit new incidents opened within window_ms (limit 0: never); it takes
  -- every new incident until none has come for window_ms, then passes
  -- (storm.lua). The storm incident pages through the service's escalation
  -- like any incident.
  local function storm_for(P, now, svc, esc, spec, sender)
    local limit, window_ms = numbers(spec)
    if limit <= 0 then return nil end
    local sk = P .. 'storm:' .. svc
    local sid = redis.call('GET', sk)
    if sid then
      local st = redis.call('HMGET', P .. 'inc:' .. sid, 'status', 'storm_last_ms', 'storm_passed_ms', 'storm_window_ms')
      if st[1] and st[1] ~= 'resolved' and not st[3] and now < tonumber(st[2]) + tonumber(st[4]) then
        -- The pointer outlives the storm's window, only so that a service
        -- gone from the config leaves nothing behind.
        redis.call('PEXPIRE', sk, 2 * window_ms)
        return sid
      end
      redis.call('DEL', sk) -- passed, resolved or gone: count afresh
    end
    local ok = P .. 'opens:' .. svc
    if not recent(ok, now, limit + 1, window_ms, 1) then return nil end
    redis.call('DEL', ok)
    sid = next_id(P, 'seq')
    local ik = P .. 'inc:' .. sid
    local title = 'Alert storm in ' .. svc
    redis.call('HSET', ik, 'id', sid, 'service', svc, 'escalation', esc, 'group_labels', '{}',
      'title', title, 'summary', '', 'status', 'triggered', 'created_ms', now,
      'run', 0, 'run_ms', now, 'rev', 1, 'storm', 1, 'storm_last_ms', now,
      'storm_window_ms', window_ms, 'folded', 0, 'folded_open', 0)
    redis.call('SET', sk, sid, 'PX', 2 * window_ms)
    redis.call('ZADD', P .. 'open', now, sid)
    redis.call('ZADD', P .. 'incidents', now, sid)
    redis.call('ZADD', P .. 'timers', now, sid)
    fact(P, sid, now, 'triggered', 'more than ' .. limit .. ' new incidents of ' .. svc .. ' within ' ..
      span(window_ms) .. ': new ones fold into this storm until none comes for ' .. span(window_ms), sender)
    return sid
  end

  -- storm_summary: "12 incidents folded: InstanceDown (8), DiskFull (3) and
  -- 1 more", from the storm's name counts (a flat HGETALL reply).
  local function storm_summary(count, names)
    local top = {}
    for i = 1, #names, 2 do top[#top + 1] = {names[i], tonumber(names[i + 1])} end
    table.sort(top, function(a, b)
      if a[2] ~= b[2] then return a[2] > b[2] end
      return a[1] < b[1]
    end)
    local parts, rest = {}, 0
    for i, t in ipairs(top) do
      if i <= 3 and t[1] ~= '' then parts[#parts + 1] = t[1] .. ' (' .. t[2] .. ')' else rest = rest + t[2] end
    end
    local s = count .. (count == 1 and ' incident' or ' incidents') .. ' folded: ' .. table.concat(parts, ', ')
    if rest > 0 then s = s .. (#parts > 0 and ' and ' or '') .. rest .. ' more' end
    return s
  end

  -- storm_names: the distinct alert names a storm counts; the rest count as
  -- "more", so its summary costs the same however wide the storm.
  local storm_names = 20

  -- fold_into: incident id, just opened, joins storm sid instead of paging:
  -- the storm's count, summary and last fold move on.
  local function fold_into(P, sid, id, now, name, spec)
    local _, window_ms = numbers(spec)
    local sk = P .. 'inc:' .. sid
    redis.call('HSET', P .. 'inc:' .. id, 'folded_into', sid)
    redis.call('ZADD', sk .. ':folded', now, id)
    redis.call('HINCRBY', sk, 'folded_open', 1)
    local count = redis.call('HINCRBY', sk, 'folded', 1)
    local nk = sk .. ':names'
    name = string.match(name, '^(.*) %S+$') or name -- the alert name without its fingerprint
    if redis.call('HEXISTS', nk, name) == 0 and redis.call('HLEN', nk) >= storm_names then name = '' end
    redis.call('HINCRBY', nk, name, 1)
    redis.call('HSET', sk, 'storm_last_ms', now, 'storm_window_ms', window_ms,
      'summary', storm_summary(count, redis.call('HGETALL', nk)))
    fact(P, id, now, 'folded', 'into storm #' .. sid .. ' (' .. (redis.call('HGET', sk, 'title') or '') .. ')')
  end

  -- fold_cascade: acknowledging or resolving a storm does the same to the
  -- incidents folded into it that are still open, as on PagerDuty, where a
  -- merged incident's alerts are the parent's: the storm is how they were
  -- paged, so whoever takes or ends it takes or ends them.
  local function fold_cascade(P, sid, now, action, by, via, retention_ms)
    local sk = P .. 'inc:' .. sid
    if redis.call('HGET', sk, 'storm') ~= '1' then return end
    for _, id in ipairs(redis.call('ZRANGE', sk .. ':folded', 0, -1)) do
      local st = redis.call('HGET', P .. 'inc:' .. id, 'status')
      if action == 'ack' and st == 'triggered' then
        ack(P, id, now, by, via)
      elseif action == 'resolve' and st and st ~= 'resolved' then
        resolve(P, id, now, by, via, 'resolved with storm #' .. sid, retention_ms)
      end
    end
  end

  -- flap_changed: record a change of alert fp at now (changes 0: flap
  -- folding off); reports whether the alert changed more than changes times
  -- within window_ms. History starts at the first resolve, which counts the
  -- firing it ends too: a first firing costs nothing.
  local function flap_changed(P, fp, now, changes, window_ms, resolving)
    if changes <= 0 then return false end
    local k = P .. 'flap:' .. fp
    local times = 1
    if redis.call('EXISTS', k) == 0 then
      if not resolving then return false end
      times = 2
    end
    return recent(k, now, changes + 1, window_ms, times)
  end

  -- flap_fired: alert fp, not firing anywhere, fires in incident id. When it
  -- changed too often it is flapping from now on: the incident says so (its
  -- page too, when it opened one) and the alert's flips stay on it.
  local function flap_fired(P, id, fp, now, spec, name)
    local changes, window_ms = numbers(spec)
    if not flap_changed(P, fp, now, changes, window_ms, false) then return end
    local ik = P .. 'inc:' .. id
    redis.call('HSET', ik .. ':flap', fp, 'firing')
    redis.call('HSET', ik, 'flapping', 1)
    fact(P, id, now, 'flapping', name .. ' changed state more than ' .. changes .. ' times within ' ..
      span(window_ms) .. ': its flips no longer page')
  end

  -- flap_refired: alert fp fires again in incident id, where it is flapping
  -- and was held resolved: reports whether it was (the flip is absorbed).
  local function flap_refired(P, id, fp, now, spec, name)
    local changes, window_ms = numbers(spec)
    local ik = P .. 'inc:' .. id
    if redis.call('HGET', ik .. ':flap', fp) ~= 'held' then return false end
    redis.call('HSET', ik .. ':flap', fp, 'firing')
    flap_changed(P, fp, now, changes, window_ms, false)
    fact(P, id, now, 'alert_firing', name .. ' (flapping)')
    return true
  end

  -- flap_resolved: alert fp resolves in incident id. A flapping alert is not
  -- resolved yet: it is held, still counting as firing, until hold_ms pass
  -- without it firing again (the engine expires it then, as an endsAt).
  -- Returns the outcome: 'flapping' (held), 'ignored' (already held), or nil
  -- when the alert does not flap and resolves as usual.
  local function flap_resolved(P, id, fp, now, doc, spec, name)
    local changes, window_ms, hold_ms = numbers(spec)
    if changes <= 0 then return nil end
    local ik = P .. 'inc:' .. id
    local state = redis.call('HGET', ik .. ':flap', fp)
    if state == 'held' then return 'ignored' end
    -- Only a firing alert changes: senders repeat resolved alerts.
    if redis.call('HEXISTS', ik .. ':firing', fp) == 0 then return nil end
    flap_changed(P, fp, now, changes, window_ms, true)
    if not state then return nil end
    local until_ms = now + hold_ms
    redis.call('HSET', ik .. ':flap', fp, 'held')
    redis.call('HSET', ik .. ':firing', fp, until_ms)
    if doc ~= '' then redis.call('HSET', ik .. ':alerts', fp, doc) end
    redis.call('ZADD', P .. 'timers', 'LT', until_ms, id)
    fact(P, id, now, 'alert_resolved', name .. ' (flapping: resolves if it stays resolved for ' .. span(hold_ms) .. ')')
    return 'flapping'
  end

  -- flap_settled: alert fp of incident id reached its end; reports whether
  -- it was a flapping alert held resolved, which has now stayed resolved for
  -- its hold time.
  local function flap_settled(P, id, fp)
    local k = P .. 'inc:' .. id .. ':flap'
    local held = redis.call('HGET', k, fp) == 'held'
    if held then redis.call('HDEL', k, fp) end
    return held
  end

  return {
    span = span, storm_for = storm_for, fold_into = fold_into, fold_cascade = fold_cascade,
    flap_fired = flap_fired, flap_refired = flap_refired, flap_resolved = flap_resolved,
    flap_settled = flap_settled,
  }
end
