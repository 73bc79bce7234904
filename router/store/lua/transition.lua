-- transition: a person (or a timer) changes an incident's status.
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 action (ack|resolve|reopen), 5 by,
--       6 via, 7 retention_ms, 8 for reopen: the acked_ms it times out
--       ('' = any)
-- Returns {outcome, status before}.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id, action, by, via = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ik = P .. 'inc:' .. id
local status = redis.call('HGET', ik, 'status')
if not status then return {'not_found', ''} end
local who = by
if via ~= '' then who = by .. ' via ' .. via end

if action == 'ack' then
  if status ~= 'triggered' then return {'unchanged', status} end
  redis.call('HSET', ik, 'status', 'acknowledged', 'acked_ms', now, 'acked_by', by)
  redis.call('HINCRBY', ik, 'rev', 1)
  redis.call('ZADD', P .. 'timers', now, id)
  timeline(P, id, now, 'acknowledged', who)
  return {'acknowledged', status}
elseif action == 'resolve' then
  if status == 'resolved' then return {'unchanged', status} end
  timeline(P, id, now, 'resolved', who)
  close(P, id, now, by, tonumber(ARGV[7]))
  return {'resolved', status}
elseif action == 'reopen' then
  -- An acknowledgement timed out: escalate again from the first step.
  if status ~= 'acknowledged' then return {'unchanged', status} end
  if ARGV[8] ~= '' and redis.call('HGET', ik, 'acked_ms') ~= ARGV[8] then
    return {'unchanged', status} -- acknowledged again meanwhile
  end
  redis.call('HSET', ik, 'status', 'triggered', 'run_ms', now)
  redis.call('HDEL', ik, 'acked_ms', 'acked_by')
  redis.call('HINCRBY', ik, 'run', 1)
  redis.call('HINCRBY', ik, 'rev', 1)
  redis.call('ZADD', P .. 'timers', now, id)
  timeline(P, id, now, 'reopened', by)
  return {'reopened', status}
end
return redis.error_reply('unknown action ' .. action)
