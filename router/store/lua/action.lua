-- action: the action items incidents leave behind, and the state of their
-- post-mortems. Neither expires with its incident: the backlog outlives
-- incident retention. A fact goes on the incident's timeline while the
-- incident is kept, and the published ones on the event stream always, so
-- that subscribers hear of an item done a year later.
-- ARGV: 1 prefix, 2 now_ms, 3 op, then by op:
--   add:       4 incident, 5 title, 6 owner, 7 kind, 8 due ('' = none),
--              9 overdue_ms (0 = none), 10 by, 11 via
--   done:      4 item, 5 by, 6 via
--   reminded:  4 item, 5 next reminder ms
--   pm_owner:  4 incident, 5 owner, 6 why, 7 '1' when required, 8 detail
--   pm_done:   4 incident, 5 by, 6 via
--   pm_path:   4 incident, 5 path, 6 SHA-256 of what was written
-- Returns {outcome, detail}: 'not_found'; 'unchanged'; 'open' (pm_done on
-- an incident not resolved yet); or the op's outcome ('added' with the
-- item's ID, 'done', 'named', 'written').
local P = ARGV[1]
local now = now_ms(ARGV[2])
local op = ARGV[3]

-- item_doc: an item as events carry it (times in milliseconds, as Lua
-- tells them).
local function item_doc(h)
  return cjson.encode({id = tonumber(h.id), incident = tonumber(h.incident), service = h.service or '',
    title = h.title or '', owner = h.owner or '', kind = h.kind or '', due = h.due or '',
    created_ms = tonumber(h.created_ms) or 0, created_by = h.created_by or '',
    done_ms = tonumber(h.done_ms) or 0, done_by = h.done_by or ''})
end

-- tell: a fact about incident id, on its timeline while it is kept, and on
-- the event stream when published (with the service the caller knows).
local function tell(id, service, kind, detail, by, via, tag, doc)
  if redis.call('EXISTS', P .. 'inc:' .. id) == 1 then
    fact(P, id, now, kind, detail, by, via, tag, doc)
  elseif published(kind) then
    local ev = {P .. 'events', '*', 'incident', id, 'service', service, 'at', now, 'event', kind,
      'detail', detail, 'actor', by, 'via', via}
    if tag ~= '' then ev[#ev + 1] = 'tag'; ev[#ev + 1] = tag end
    if doc ~= '' then ev[#ev + 1] = 'doc'; ev[#ev + 1] = doc end
    redis.call('XADD', unpack(ev))
  end
end

local function hash(key)
  local flat = redis.call('HGETALL', key)
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end

if op == 'add' then
  local id = ARGV[4]
  local ik = P .. 'inc:' .. id
  local service = redis.call('HGET', ik, 'service')
  if not service then return {'not_found', ''} end
  local n = next_id(P, 'actions:seq')
  local h = {id = tostring(n), incident = id, service = service, title = ARGV[5], owner = ARGV[6],
    kind = ARGV[7], due = ARGV[8], created_ms = tostring(now), created_by = ARGV[10]}
  local ak = P .. 'action:' .. n
  redis.call('HSET', ak, 'id', n, 'incident', id, 'service', service, 'title', h.title,
    'owner', h.owner, 'kind', h.kind, 'due', h.due, 'created_ms', now, 'created_by', h.created_by)
  redis.call('ZADD', P .. 'actions', n, n)
  redis.call('ZADD', P .. 'actions:inc:' .. id, n, n)
  local overdue = tonumber(ARGV[9])
  if overdue > 0 then
    redis.call('ZADD', P .. 'actions:remind', overdue, n)
    -- The backlog's chore wakes when the earliest reminder is due.
    redis.call('ZADD', P .. 'timers', 'LT', overdue, 'chore:actions')
  end
  local detail = 'action #' .. n .. ' for ' .. h.owner
  if h.due ~= '' then detail = detail .. ', due ' .. h.due end
  tell(id, service, 'action_added', detail .. ': ' .. h.title, ARGV[10], ARGV[11], h.kind, item_doc(h))
  return {'added', tostring(n)}
elseif op == 'done' then
  local n = ARGV[4]
  local ak = P .. 'action:' .. n
  local h = hash(ak)
  if not h.id then return {'not_found', ''} end
  if h.done_ms and h.done_ms ~= '' then return {'unchanged', h.done_by or ''} end
  h.done_ms, h.done_by = tostring(now), ARGV[5]
  redis.call('HSET', ak, 'done_ms', now, 'done_by', h.done_by)
  redis.call('ZREM', P .. 'actions:remind', n)
  tell(h.incident, h.service, 'action_done', 'action #' .. n .. ' done: ' .. h.title, ARGV[5], ARGV[6], h.kind, item_doc(h))
  return {'done', ''}
elseif op == 'reminded' then
  -- XX: an item done meanwhile stays out of the reminders.
  redis.call('ZADD', P .. 'actions:remind', 'XX', tonumber(ARGV[5]), ARGV[4])
  return {'reminded', ''}
elseif op == 'pm_owner' then
  local id = ARGV[4]
  local ik = P .. 'inc:' .. id
  if redis.call('EXISTS', ik) == 0 then return {'not_found', ''} end
  local pk = P .. 'pm:' .. id
  local owner = redis.call('HGET', pk, 'owner')
  if owner then return {'unchanged', owner} end
  redis.call('HSET', pk, 'owner', ARGV[5], 'why', ARGV[6], 'required', ARGV[7], 'named_ms', now)
  fact(P, id, now, 'postmortem_owner', ARGV[8], '', '', ARGV[7] == '1' and 'required' or 'offered')
  return {'named', ARGV[5]}
elseif op == 'pm_done' then
  local id = ARGV[4]
  local ik = P .. 'inc:' .. id
  local pk = P .. 'pm:' .. id
  local status = redis.call('HGET', ik, 'status')
  if not status and redis.call('EXISTS', pk) == 0 then return {'not_found', ''} end
  if status and status ~= 'resolved' then return {'open', status} end
  local done = redis.call('HGET', pk, 'done_ms')
  if done then return {'unchanged', redis.call('HGET', pk, 'done_by') or ''} end
  redis.call('HSET', pk, 'done_ms', now, 'done_by', ARGV[5])
  local service = redis.call('HGET', ik, 'service') or ''
  tell(id, service, 'postmortem_done', 'post-mortem marked done', ARGV[5], ARGV[6], '', '')
  return {'done', ''}
elseif op == 'pm_path' then
  local id = ARGV[4]
  local old = redis.call('HGET', P .. 'pm:' .. id, 'path')
  redis.call('HSET', P .. 'pm:' .. id, 'path', ARGV[5], 'sum', ARGV[6])
  if old ~= ARGV[5] and redis.call('EXISTS', P .. 'inc:' .. id) == 1 then
    fact(P, id, now, 'postmortem_written', 'draft written to ' .. ARGV[5])
  end
  return {'written', ''}
end
return {'unknown_op', op}
