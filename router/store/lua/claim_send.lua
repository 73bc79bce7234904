-- claim_send: take the right to send one notification, identified by its
-- idempotency key, while the incident is still in the expected state.
-- Send records live in the incident's ':sends' hash, so they last exactly
-- as long as the incident: forever while it is open, then its retention.
-- KEYS[1] = the incident hash
-- ARGV: 1 prefix, 2 id, 3 required status ('*': any), 4 required run (-1: any),
--       5 lease_ms, 6 owner, 7 send key, 8 now_ms
-- Returns {code, detail}: 'claimed'; 'sent' (done before); 'busy' (another
-- replica holds it, detail = ms left); 'stale' (incident moved on).
local P = ARGV[1]
local ik = KEYS[1]
local now = now_ms(ARGV[8])
local st = redis.call('HMGET', ik, 'status', 'run')
-- Required status '*' takes any status of an incident that exists: incident
-- command's notices (a manager wanted, an update due) are not about paging.
if not st[1] or (ARGV[3] ~= '*' and st[1] ~= ARGV[3]) or (ARGV[4] ~= '-1' and st[2] ~= ARGV[4]) then
  return {'stale', st[1] or ''}
end
local cur = redis.call('HGET', ik .. ':sends', ARGV[7])
if cur then
  if string.sub(cur, 1, 5) == 'done:' then return {'sent', cur} end
  -- 'pending:<lease end ms>:<owner>'
  local until_ms = tonumber(string.match(cur, '^pending:(%d+):'))
  if until_ms and until_ms > now then return {'busy', tostring(until_ms - now)} end
end
redis.call('HSET', ik .. ':sends', ARGV[7], 'pending:' .. (now + tonumber(ARGV[5])) .. ':' .. ARGV[6])
keep_like_incident(ik, ik .. ':sends')
return {'claimed', ''}
