-- transition: a person (or a timer) acts on an incident, or is refused.
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 action (ack|resolve|escalate|note|reopen|refuse),
--       5 by, 6 via, 7 retention_ms, 8 the note's text; for reopen: the
--       acked_ms it times out ('' = any); for refuse: what was refused, why;
--       9 the note's mark ('' = none), 10 the note's document for
--       consumers ('' = none: see fact), 11 the note's delivery ('' =
--       none), 12 how long a delivery is remembered (ms)
-- Returns {outcome, status before}.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id, action, by, via = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ik = P .. 'inc:' .. id
local status = redis.call('HGET', ik, 'status')
if not status then return {'not_found', ''} end

if action == 'ack' then
  if status ~= 'triggered' then return {'unchanged', status} end
  ack(P, id, now, by, via)
  folding().fold_cascade(P, id, now, 'ack', by, via, 0)
  return {'acknowledged', status}
elseif action == 'resolve' then
  if status == 'resolved' then return {'unchanged', status} end
  suppression().release_all(P, id, now)
  resolve(P, id, now, by, via, '', tonumber(ARGV[7]))
  folding().fold_cascade(P, id, now, 'resolve', by, via, tonumber(ARGV[7]))
  return {'resolved', status}
elseif action == 'escalate' then
  -- Page the next step now: the planner reads these times and starts the
  -- step after the current one at each of them.
  if status ~= 'triggered' then return {'unchanged', status} end
  local prev = redis.call('HGET', ik, 'escalations')
  if prev and prev ~= '' then prev = prev .. ',' .. now else prev = tostring(now) end
  redis.call('HSET', ik, 'escalations', prev)
  redis.call('HINCRBY', ik, 'rev', 1)
  redis.call('ZADD', P .. 'timers', now, id)
  fact(P, id, now, 'escalated', 'escalated by hand', by, via)
  return {'escalated', status}
elseif action == 'note' then
  -- A delivery the sender makes again (it did not hear that this one was
  -- taken) is noted once.
  local delivery = ARGV[11]
  if delivery and delivery ~= '' and
     not redis.call('SET', P .. 'once:' .. delivery, 1, 'NX', 'PX', tonumber(ARGV[12])) then
    return {'repeated', status}
  end
  fact(P, id, now, 'note', ARGV[8], by, via, ARGV[9], ARGV[10])
  keep_like_incident(ik, ik .. ':timeline')
  return {'noted', status}
elseif action == 'refuse' then
  -- Someone tried an action they may not take: the incident is unchanged,
  -- its timeline says who tried what through which channel.
  fact(P, id, now, 'action_refused', ARGV[8], by, via)
  keep_like_incident(ik, ik .. ':timeline')
  return {'unchanged', status}
elseif action == 'reopen' then
  -- An acknowledgement timed out: escalate again from the first step.
  if status ~= 'acknowledged' then return {'unchanged', status} end
  if ARGV[8] ~= '' and redis.call('HGET', ik, 'acked_ms') ~= ARGV[8] then
    return {'unchanged', status} -- acknowledged again meanwhile
  end
  redis.call('HSET', ik, 'status', 'triggered', 'run_ms', now)
  redis.call('HDEL', ik, 'acked_ms', 'acked_by', 'escalations')
  redis.call('HINCRBY', ik, 'run', 1)
  redis.call('HINCRBY', ik, 'rev', 1)
  redis.call('ZADD', P .. 'timers', now, id)
  fact(P, id, now, 'reopened', 'acknowledgement timed out', by, via)
  return {'reopened', status}
end
return redis.error_reply('unknown action ' .. action)
