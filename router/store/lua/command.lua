-- command: incident command's actions on an incident, each one fact, and
-- a wake-up for the engine, whose duties (command.Duty) follow the new
-- state: a manager found, a new severity's clocks, an update's cadence.
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 op, 5 by, 6 via, then by op:
--   assign:   7 role, 8 user ('' = nobody)
--   severity: 7 "<rank>:<name>"
--   update:   7 state, 8 text, 9 public text ('' = the same),
--             10 retention_ms (posting 'resolved' resolves it)
-- Returns {outcome, status before, detail}: 'not_found'; 'closed' (a
-- resolved incident takes no updates or roles); 'unchanged'; or the op's
-- outcome, with the previous holder of the role or the previous severity.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id, op, by, via = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ik = P .. 'inc:' .. id
local status = redis.call('HGET', ik, 'status')
if not status then return {'not_found', '', ''} end

if op == 'assign' then
  if status == 'resolved' then return {'closed', status, ''} end
  local role, user = ARGV[7], ARGV[8]
  local old = redis.call('HGET', ik, 'role:' .. role) or ''
  if old == user then return {'unchanged', status, old} end
  if user == '' then
    redis.call('HDEL', ik, 'role:' .. role)
  else
    redis.call('HSET', ik, 'role:' .. role, user)
  end
  local detail = role .. ': ' .. (user ~= '' and user or 'nobody')
  if old ~= '' then detail = detail .. ' (was ' .. old .. ')' end
  fact(P, id, now, 'role_assigned', detail, by, via, role)
  redis.call('HINCRBY', ik, 'rev', 1)
  redis.call('ZADD', P .. 'timers', now, id)
  return {'assigned', status, old}
elseif op == 'severity' then
  local rank, name = string.match(ARGV[7], '^(%d+):(.+)$')
  local old = redis.call('HGET', ik, 'sev') or ''
  if old == name then
    -- Confirmed by a person: the alerts no longer change it.
    redis.call('HSET', ik, 'sev_by', by)
    return {'unchanged', status, old}
  end
  redis.call('HSET', ik, 'sev', name, 'sev_rank', rank, 'sev_ms', now, 'sev_by', by)
  fact(P, id, now, 'severity_changed', (old ~= '' and old or 'none') .. ' → ' .. name, by, via, name)
  redis.call('HINCRBY', ik, 'rev', 1)
  if status ~= 'resolved' then redis.call('ZADD', P .. 'timers', now, id) end
  return {'severity_changed', status, old}
elseif op == 'update' then
  if status == 'resolved' then return {'closed', status, ''} end
  local state, text, public = ARGV[7], ARGV[8], ARGV[9]
  local n = redis.call('HINCRBY', ik, 'updates', 1)
  local doc = cjson.encode({n = n, at_ms = now, by = by, via = via, status = state,
    text = text, public_text = public})
  redis.call('RPUSH', ik .. ':updates', doc)
  redis.call('HSET', ik, 'phase', state, 'updated_ms', now)
  redis.call('HINCRBY', ik, 'rev', 1)
  fact(P, id, now, 'status_update', text, by, via, state, doc)
  if state == 'resolved' then
    resolve(P, id, now, by, via, 'status update #' .. n, tonumber(ARGV[10]))
  else
    redis.call('ZADD', P .. 'timers', now, id)
  end
  return {'updated', status, tostring(n)}
end
return redis.error_reply('unknown command op ' .. op)
