-- Suppression helpers, prepended to every script after common.lua.
--
-- Silences, maintenance windows and inhibition rules mute firing alerts:
-- stored and shown, paging nobody. An incident whose firing alerts are
-- all muted pages nobody; when one is not any more, a triggered
-- incident's escalation starts over from its first step.
--
-- Go decides silences (against its snapshot of them, whose version the
-- scripts check) and maintenance windows (the config). Inhibition depends
-- on what fires on every replica, so its state lives here, in sets per
-- rule and value of the rule's equal labels (the key, computed in Go):
--   inh:<key>:o  firing alerts that match the rule's source only
--   inh:<key>:b  firing alerts that match both its sides
--   inh:<key>:t  firing alerts that match its target
-- Go hands each firing alert's memberships as tokens '<role>:<key>',
-- space-separated; role o or b (a source, as above), t (a target) or T (a
-- target that matches the source too, which only 'o' alerts mute: an
-- alert never inhibits itself, nor one like it).
-- Per incident: ':muted' (fingerprint → why it is muted), ':inh'
-- (fingerprint → its tokens), fields 'suppressed' (why, while every
-- firing alert is muted), 'review_ms' (when why may change with time)
-- and 'review' (the engine should look again now).

-- review_open: every open incident is due now and looks again at what
-- mutes its alerts (silences or the config changed).
local function review_open(P, now)
  for _, id in ipairs(redis.call('ZRANGE', P .. 'open', 0, -1)) do
    redis.call('HSET', P .. 'inc:' .. id, 'review', 1)
    redis.call('ZADD', P .. 'timers', 'LT', now, id)
  end
end

-- silences_stale: Go decided with a snapshot of silences older than
-- Redis's; it reloads and sends the alert again.
local function silences_stale(P, version)
  return (redis.call('GET', P .. 'silences:ver') or '0') ~= version
end

local function sources_empty(P, key)
  return redis.call('SCARD', P .. 'inh:' .. key .. ':o') == 0
    and redis.call('SCARD', P .. 'inh:' .. key .. ':b') == 0
end

-- review_targets: a rule's sources started or stopped firing, so the
-- alerts it targets may be muted or free: the engine looks again at their
-- incidents, now.
local function review_targets(P, key, now)
  for _, fp in ipairs(redis.call('SMEMBERS', P .. 'inh:' .. key .. ':t')) do
    local id = redis.call('GET', P .. 'fp:' .. fp)
    if id then
      redis.call('HSET', P .. 'inc:' .. id, 'review', 1)
      redis.call('ZADD', P .. 'timers', 'LT', now, id)
    end
  end
end

local function inhibit_leave(P, fp, tokens, now)
  for role, key in string.gmatch(tokens, '(%a):(%S+)') do
    if role == 'o' or role == 'b' then
      if redis.call('SREM', P .. 'inh:' .. key .. ':' .. role, fp) == 1 and sources_empty(P, key) then
        review_targets(P, key, now)
      end
    else
      redis.call('SREM', P .. 'inh:' .. key .. ':t', fp)
    end
  end
end

-- inhibit_join: firing alert fp of incident id is in the sets its tokens
-- name (and no longer in those it left); returns why it is inhibited, or ''.
local function inhibit_join(P, id, fp, tokens, now)
  local hk = P .. 'inc:' .. id .. ':inh'
  local old = redis.call('HGET', hk, fp) or ''
  if old ~= tokens then
    if old ~= '' then inhibit_leave(P, fp, old, now) end
    redis.call('HSET', hk, fp, tokens)
    for role, key in string.gmatch(tokens, '(%a):(%S+)') do
      if role == 'o' or role == 'b' then
        local first = sources_empty(P, key)
        redis.call('SADD', P .. 'inh:' .. key .. ':' .. role, fp)
        if first then review_targets(P, key, now) end
      else
        redis.call('SADD', P .. 'inh:' .. key .. ':t', fp)
      end
    end
  end
  for role, key in string.gmatch(tokens, '(%a):(%S+)') do
    if (role == 't' or role == 'T') and (redis.call('SCARD', P .. 'inh:' .. key .. ':o') > 0
        or (role == 't' and redis.call('SCARD', P .. 'inh:' .. key .. ':b') > 0)) then
      return 'inhibited:' .. string.match(key, '^[^:]+')
    end
  end
  return ''
end

-- suppress_sync: an incident is suppressed while every alert firing in
-- it is muted. why names a reason for the fact when it becomes so.
local function suppress_sync(P, id, now, why)
  local ik = P .. 'inc:' .. id
  local muted = redis.call('HLEN', ik .. ':muted')
  local firing = redis.call('HLEN', ik .. ':firing')
  local was = redis.call('HGET', ik, 'suppressed')
  if muted > 0 and muted == firing then
    if not was then
      if why == '' then why = redis.call('HVALS', ik .. ':muted')[1] end
      redis.call('HSET', ik, 'suppressed', why)
      fact(P, id, now, 'suppressed', why)
    end
  elseif was and firing > 0 then
    redis.call('HDEL', ik, 'suppressed')
    fact(P, id, now, 'unsuppressed', 'an alert is no longer muted')
    if redis.call('HGET', ik, 'status') == 'triggered' then
      -- It paged nobody while suppressed: escalation starts over, now.
      redis.call('HSET', ik, 'run_ms', now)
      redis.call('HDEL', ik, 'escalations')
      redis.call('HINCRBY', ik, 'run', 1)
      redis.call('HINCRBY', ik, 'rev', 1)
      redis.call('ZADD', P .. 'timers', now, id)
    end
  end
end

-- mark: record why firing alert fp of incident id is muted ('' = it is
-- not), with a fact when that changes; fresh: it just joined the
-- incident. It reports whether the incident's state may have changed.
local function mark(P, id, fp, why, now, name, fresh)
  local mk = P .. 'inc:' .. id .. ':muted'
  if why ~= '' then
    if fresh or redis.call('HGET', mk, fp) ~= why then
      redis.call('HSET', mk, fp, why)
      fact(P, id, now, 'alert_suppressed', name .. ': ' .. why)
    end
    return true
  end
  if fresh then
    return redis.call('HEXISTS', P .. 'inc:' .. id, 'suppressed') == 1
  end
  return redis.call('HDEL', mk, fp) == 1
end

-- review_at: the engine looks again at incident id at ms (0: no need).
local function review_at(P, id, ms)
  if ms > 0 then
    local ik = P .. 'inc:' .. id
    local cur = tonumber(redis.call('HGET', ik, 'review_ms') or '0')
    if cur == 0 or ms < cur then redis.call('HSET', ik, 'review_ms', ms) end
    redis.call('ZADD', P .. 'timers', 'LT', ms, id)
  end
end

-- suppress_alert: firing alert fp of incident id is muted for why (a
-- silence or maintenance window Go found), else by an inhibition rule
-- whose sources fire, else not; review_ms is when Go's answer may change.
-- Returns why it is muted, '' when it is not.
local function suppress_alert(P, id, fp, now, name, why, tokens, review_ms, fresh)
  if tokens ~= '' then
    local inhibited = inhibit_join(P, id, fp, tokens, now)
    if why == '' then why = inhibited end
  end
  if mark(P, id, fp, why, now, name, fresh) then suppress_sync(P, id, now, why) end
  review_at(P, id, tonumber(review_ms))
  return why
end

-- suppress_release: alert fp stopped firing in incident id.
local function suppress_release(P, id, fp, now)
  local ik = P .. 'inc:' .. id
  local tokens = redis.call('HGET', ik .. ':inh', fp)
  if tokens then
    redis.call('HDEL', ik .. ':inh', fp)
    inhibit_leave(P, fp, tokens, now)
  end
  redis.call('HDEL', ik .. ':muted', fp)
  if redis.call('HEXISTS', ik, 'suppressed') == 1 or redis.call('HLEN', ik .. ':muted') > 0 then
    suppress_sync(P, id, now, '')
  end
end

-- suppress_release_all: incident id closes while alerts still fire in it
-- (someone resolved it): they stop counting as firing.
local function suppress_release_all(P, id, now)
  local ik = P .. 'inc:' .. id
  local inh = redis.call('HGETALL', ik .. ':inh')
  for i = 1, #inh, 2 do inhibit_leave(P, inh[i], inh[i + 1], now) end
  redis.call('DEL', ik .. ':inh', ik .. ':muted')
end
