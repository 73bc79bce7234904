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
--   inh:<key>:O, inh:<key>:B  with several shards, the o and b alerts of
--                the other shards, as '<shard>/<fingerprint>': a copy that
--                follows their sets through the event stream (mirror
--                below, lua/inhibit_mirror.lua), so that a target sees
--                every source whichever shard holds it
-- Go hands each firing alert's memberships as tokens '<role>:<key>',
-- space-separated; role o or b (a source, as above), t (a target) or T (a
-- target that matches the source too, which only 'o' alerts mute: an
-- alert never inhibits itself, nor one like it).
-- Per incident: ':muted' (fingerprint → why it is muted), ':inh'
-- (fingerprint → its tokens), fields 'suppressed' (why, while every
-- firing alert is muted), 'review_ms' (when why may change with time)
-- and 'review' (the engine should look again now). 'muted' counts the
-- entries of every ':muted' hash: while it is 0 no alert is muted and no
-- open incident is suppressed, which the ingest script reads with what
-- it reads anyway.
--
-- The ingest script runs once per alert and most alerts are muted by
-- nothing, so the helpers are built only when one is needed:
-- suppression() returns them. suppress_alert, the one every firing alert
-- goes through, settles that common case itself, at no cost while
-- nothing is muted.

-- restart_after_ms is how long after now an incident that an alert frees
-- from suppression starts escalating again: 0, but for a target held
-- for its source (INHIBIT_HOLD_MS in ingest.lua, which sets it).
local restart_after_ms = 0

local suppression_helpers
local function suppression()
  if suppression_helpers then return suppression_helpers end
  local S = {}

  -- sources says what mutes the rule's targets: 'o' (an alert matching
  -- its source only fires, which mutes every target), 'b' (only alerts
  -- matching both sides fire, which mute the 't' targets alone) or ''.
  -- The targets are looked at again whenever it changes: from 'o' to
  -- 'b', the 'T' targets are free while the 't' ones stay muted.
  function S.sources(P, key)
    local k = P .. 'inh:' .. key
    if redis.call('SCARD', k .. ':o') > 0 or redis.call('SCARD', k .. ':O') > 0 then return 'o' end
    if redis.call('SCARD', k .. ':b') > 0 or redis.call('SCARD', k .. ':B') > 0 then return 'b' end
    return ''
  end

  -- source_changed: with several shards, a change to this shard's o or b
  -- set goes out on its event stream ('+' joined, '-' left), which the
  -- inhibit-mirror consumer copies into every other shard (mirror). One
  -- shard keeps no layout ('ids'), and publishes nothing.
  function S.source_changed(P, op, role, key, fp, now)
    if tonumber(redis.call('HGET', P .. 'ids', 'n') or '1') <= 1 then return end
    redis.call('XADD', P .. 'events', '*', 'incident', '0', 'service', '', 'at', now,
      'event', 'inhibit_source', 'detail', role .. ':' .. key, 'actor', fp, 'via', '', 'tag', op)
  end

  -- mirror: a source of another shard joined ('+') or left ('-') its set:
  -- member '<shard>/<fingerprint>' does the same in this shard's copy,
  -- and when that changes whether the rule has sources, the targets here
  -- are looked at again.
  function S.mirror(P, op, role, key, member, now)
    local was = S.sources(P, key)
    local set = P .. 'inh:' .. key .. ':' .. string.upper(role)
    if op == '+' then redis.call('SADD', set, member) else redis.call('SREM', set, member) end
    if S.sources(P, key) ~= was then S.review_targets(P, key, now) end
  end

  -- review_targets: what mutes a rule's targets changed (sources), so
  -- the alerts it targets may be muted or free: the engine looks again
  -- at their incidents, now.
  function S.review_targets(P, key, now)
    for _, fp in ipairs(redis.call('SMEMBERS', P .. 'inh:' .. key .. ':t')) do
      local id = fp_incident(P, fp)
      if id then
        redis.call('HSET', P .. 'inc:' .. id, 'review', 1)
        redis.call('ZADD', P .. 'timers', 'LT', now, id)
      end
    end
  end

  function S.inhibit_leave(P, fp, tokens, now)
    for role, key in string.gmatch(tokens, '(%a):(%S+)') do
      if role == 'o' or role == 'b' then
        local was = S.sources(P, key)
        if redis.call('SREM', P .. 'inh:' .. key .. ':' .. role, fp) == 1 then
          S.source_changed(P, '-', role, key, fp, now)
          if S.sources(P, key) ~= was then S.review_targets(P, key, now) end
        end
      else
        redis.call('SREM', P .. 'inh:' .. key .. ':t', fp)
      end
    end
  end

  -- inhibit_join: firing alert fp of incident id is in the sets its
  -- tokens name (and no longer in those it left); returns why it is
  -- inhibited, or ''.
  function S.inhibit_join(P, id, fp, tokens, now)
    local hk = P .. 'inc:' .. id .. ':inh'
    local old = redis.call('HGET', hk, fp) or ''
    if old ~= tokens then
      if old ~= '' then S.inhibit_leave(P, fp, old, now) end
      redis.call('HSET', hk, fp, tokens)
      for role, key in string.gmatch(tokens, '(%a):(%S+)') do
        if role == 'o' or role == 'b' then
          local was = S.sources(P, key)
          if redis.call('SADD', P .. 'inh:' .. key .. ':' .. role, fp) == 1 then
            S.source_changed(P, '+', role, key, fp, now)
          end
          if S.sources(P, key) ~= was then S.review_targets(P, key, now) end
        else
          redis.call('SADD', P .. 'inh:' .. key .. ':t', fp)
        end
      end
    end
    for role, key in string.gmatch(tokens, '(%a):(%S+)') do
      if role == 't' or role == 'T' then
        local k = P .. 'inh:' .. key
        if redis.call('SCARD', k .. ':o') > 0 or redis.call('SCARD', k .. ':O') > 0
            or role == 't' and (redis.call('SCARD', k .. ':b') > 0 or redis.call('SCARD', k .. ':B') > 0) then
          return 'inhibited:' .. string.match(key, '^[^:]+')
        end
      end
    end
    return ''
  end

  -- sync: an incident is suppressed while every alert firing in it is
  -- muted. why names a reason for the fact when it becomes so.
  function S.sync(P, id, now, why)
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
        redis.call('ZADD', P .. 'timers', now + restart_after_ms, id)
      end
    end
  end

  -- mark: record why firing alert fp of incident id is muted ('' = it is
  -- not), with a fact when that changes; fresh: it just joined the
  -- incident. It reports whether the incident's state may have changed.
  function S.mark(P, id, fp, why, now, name, fresh)
    local mk = P .. 'inc:' .. id .. ':muted'
    if why ~= '' then
      if fresh or redis.call('HGET', mk, fp) ~= why then
        if redis.call('HSET', mk, fp, why) == 1 then redis.call('INCR', P .. 'muted') end
        fact(P, id, now, 'alert_suppressed', name .. ': ' .. why)
      end
      return true
    end
    if fresh then
      return redis.call('HEXISTS', P .. 'inc:' .. id, 'suppressed') == 1
    end
    return S.unmark(P, id, fp)
  end

  -- unmark: alert fp of incident id is not muted; reports whether it was.
  function S.unmark(P, id, fp)
    if redis.call('HDEL', P .. 'inc:' .. id .. ':muted', fp) == 0 then return false end
    redis.call('DECR', P .. 'muted')
    return true
  end

  -- review_at: the engine looks again at incident id at ms (0: no need).
  function S.review_at(P, id, ms)
    if ms > 0 then
      local ik = P .. 'inc:' .. id
      local cur = tonumber(redis.call('HGET', ik, 'review_ms') or '0')
      if cur == 0 or ms < cur then redis.call('HSET', ik, 'review_ms', ms) end
      redis.call('ZADD', P .. 'timers', 'LT', ms, id)
    end
  end

  -- alert: firing alert fp of incident id is muted for why (a silence or
  -- maintenance window Go found), else by an inhibition rule whose
  -- sources fire, else not; review_ms is when Go's answer may change.
  -- Returns why it is muted, '' when it is not.
  function S.alert(P, id, fp, now, name, why, tokens, review_ms, fresh)
    if tokens ~= '' then
      local inhibited = S.inhibit_join(P, id, fp, tokens, now)
      if why == '' then why = inhibited end
    end
    if S.mark(P, id, fp, why, now, name, fresh) then S.sync(P, id, now, why) end
    S.review_at(P, id, tonumber(review_ms))
    return why
  end

  -- release: alert fp stopped firing in incident id.
  function S.release(P, id, fp, now)
    local ik = P .. 'inc:' .. id
    local tokens = redis.call('HGET', ik .. ':inh', fp)
    if tokens then
      redis.call('HDEL', ik .. ':inh', fp)
      S.inhibit_leave(P, fp, tokens, now)
    end
    S.unmark(P, id, fp)
    if redis.call('HEXISTS', ik, 'suppressed') == 1 or redis.call('HLEN', ik .. ':muted') > 0 then
      S.sync(P, id, now, '')
    end
  end

  -- release_all: incident id closes while alerts still fire in it
  -- (someone resolved it): they stop counting as firing.
  function S.release_all(P, id, now)
    local ik = P .. 'inc:' .. id
    local inh = redis.call('HGETALL', ik .. ':inh')
    for i = 1, #inh, 2 do S.inhibit_leave(P, inh[i], inh[i + 1], now) end
    local muted = redis.call('HLEN', ik .. ':muted')
    if muted > 0 then redis.call('DECRBY', P .. 'muted', muted) end
    redis.call('DEL', ik .. ':inh', ik .. ':muted')
  end

  -- move: firing alert fp moves from incident from to incident to (a
  -- reload routed it): why it is muted and its inhibition memberships go
  -- with it. The caller syncs both incidents and has the engine look
  -- again at the new one, whose service may mute it otherwise.
  function S.move(P, from, to, fp)
    local fk, tk = P .. 'inc:' .. from, P .. 'inc:' .. to
    for _, suffix in ipairs({':inh', ':muted'}) do
      local v = redis.call('HGET', fk .. suffix, fp)
      if v then
        redis.call('HDEL', fk .. suffix, fp)
        redis.call('HSET', tk .. suffix, fp, v)
      end
    end
  end

  -- review_open: every open incident is due now and looks again at what
  -- mutes its alerts (silences or the config changed).
  function S.review_open(P, now)
    for _, id in ipairs(redis.call('ZRANGE', P .. 'open', 0, -1)) do
      redis.call('HSET', P .. 'inc:' .. id, 'review', 1)
      redis.call('ZADD', P .. 'timers', 'LT', now, id)
    end
  end

  suppression_helpers = S
  return S
end

-- suppress_alert: suppression().alert for every firing alert, with what
-- Go decided ("<why>\n<review ms>\n<tokens>"), settling at once the
-- common case of an alert nothing mutes, now or later (decided ''): then
-- only an incident that was suppressed changes (it pages again), and none
-- is while nothing is muted (muted: the 'muted' count the script read).
local function suppress_alert(P, id, fp, now, name, decided, fresh, muted)
  if decided ~= '' then
    local why, review_ms, tokens = string.match(decided, '^([^\n]*)\n(%d+)\n([^\n]*)')
    return suppression().alert(P, id, fp, now, name, why, tokens, review_ms, fresh)
  end
  if (tonumber(muted) or 0) <= 0 then return '' end
  local S = suppression()
  local changed
  if fresh then
    changed = redis.call('HEXISTS', P .. 'inc:' .. id, 'suppressed') == 1
  else
    changed = S.unmark(P, id, fp)
  end
  if changed then S.sync(P, id, now, '') end
  return ''
end
