-- review: Go looked again at why the firing alerts of one incident are
-- muted — a silence or maintenance window ended or began, silences
-- changed, an inhibiting alert started or stopped firing — and this
-- records what it found, at once for all of them, so the incident's state
-- flips at most once.
-- ARGV: 1 prefix, 2 now_ms, 3 id, 4 version of the silences Go decided
--       with, 5 ms when its answers may change (0 = never), 6 the service
--       Go decided for, then for each alert: fingerprint, name for the
--       timeline, why Go mutes it ('' = it does not), its inhibition tokens
-- Returns 'stale' (nothing changed) when silences changed since Go's
-- snapshot, 'closed' when the incident is resolved, 'moved' (nothing
-- changed) when the incident belongs to another service now — a reload
-- rerouted it since Go read it, and that service's maintenance windows
-- decide — else 'ok'.
local P = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
if (redis.call('GET', P .. 'silences:ver') or '0') ~= ARGV[4] then return 'stale' end
local S = suppression()
local ik = P .. 'inc:' .. id
local status = redis.call('HGET', ik, 'status')
if not status or status == 'resolved' then return 'closed' end
if redis.call('HGET', ik, 'service') ~= ARGV[6] then return 'moved' end
redis.call('HDEL', ik, 'review', 'review_ms')
for i = 7, #ARGV, 4 do
  local fp, why, tokens = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  -- An alert that stopped firing meanwhile is left alone.
  if redis.call('HEXISTS', ik .. ':firing', fp) == 1 then
    if tokens ~= '' then
      local inhibited = S.inhibit_join(P, id, fp, tokens, now)
      if why == '' then why = inhibited end
    end
    S.mark(P, id, fp, why, now, ARGV[i + 1], false)
  end
end
S.sync(P, id, now, '')
S.review_at(P, id, tonumber(ARGV[5]))
return 'ok'
