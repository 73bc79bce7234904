-- claim_send: take the right to send one notification, identified by its
-- idempotency key, while the incident is still in the expected state.
-- KEYS[1] = send key
-- ARGV: 1 prefix, 2 id, 3 required status, 4 required run (-1: any),
--       5 lease_ms, 6 owner
-- Returns {code, detail}: 'claimed'; 'sent' (done before); 'busy' (another
-- replica holds it, detail = ms left); 'stale' (incident moved on).
local P = ARGV[1]
local ik = P .. 'inc:' .. ARGV[2]
local st = redis.call('HMGET', ik, 'status', 'run')
if st[1] ~= ARGV[3] or (ARGV[4] ~= '-1' and st[2] ~= ARGV[4]) then
  return {'stale', st[1] or ''}
end
local cur = redis.call('GET', KEYS[1])
if cur then
  if string.sub(cur, 1, 5) == 'done:' then return {'sent', cur} end
  return {'busy', tostring(redis.call('PTTL', KEYS[1]))}
end
redis.call('SET', KEYS[1], 'pending:' .. ARGV[6], 'PX', tonumber(ARGV[5]))
return {'claimed', ''}
