-- declare: a person opens an incident by hand — a customer report, a
-- phone call are detections too — on a service, paged through its
-- escalation as if an alert had opened it. It has no alerts, so only a
-- person resolves it.
-- ARGV: 1 prefix, 2 now_ms, 3 service, 4 escalation, 5 title, 6 summary,
--       7 severity "<rank>:<name>" ('' = none), 8 by, 9 via, 10 a nonce
--       naming its group (it groups nothing)
-- Returns the new incident's id.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local group = 'grp:declared:' .. ARGV[10]
local id = open_incident(P, now, P .. group, ARGV[3], ARGV[4], group, '{}',
  ARGV[5], ARGV[6], '', '', ARGV[8], nil, ARGV[9])
local ik = P .. 'inc:' .. id
redis.call('HSET', ik, 'declared_by', ARGV[8])
severity(P, id, now, ARGV[7], true)
if ARGV[7] ~= '' then redis.call('HSET', ik, 'sev_by', ARGV[8]) end
return id
