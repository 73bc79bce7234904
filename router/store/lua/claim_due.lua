-- claim_due: take up to ARGV[4] due timers by pushing them a lease into the
-- future, each under a token of its own. The holder renews the lease while
-- it works (renew.lua) and reschedules when done; a replica that dies while
-- holding one simply lets the lease run out, and whoever polls next takes
-- it over — with a new token, so the dead holder's claim can never pass for
-- the new one, even at the same millisecond.
-- ARGV: 1 prefix, 2 now_ms, 3 lease_ms, 4 limit.
-- Returns {now, next, id1, token1, due1, state1, id2, ...}: due is when
-- the timer fell due (ms), so the engine can tell how late it takes it up;
-- next is the earliest timer left after the claims ('' = none), so the
-- engine knows how long it may sleep without asking again. state is what
-- the engine reads first about a claimed incident — its hash, its firing
-- and muted alerts and its sends, flattened — so that the claim is also
-- that read: a round trip less per step ({} for a heartbeat's or a
-- chore's timer, or an incident that is gone).
local P = ARGV[1]
local now = now_ms(ARGV[2])
local until_ms = now + tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', P .. 'timers', '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[4]))
local out = {tostring(now), ''}
for i = 1, #due, 2 do
  local id = due[i]
  local token = redis.call('INCR', P .. 'claim-seq')
  redis.call('ZADD', P .. 'timers', until_ms, id)
  redis.call('HSET', P .. 'claims', id, token)
  table.insert(out, id)
  table.insert(out, tostring(token))
  table.insert(out, due[i + 1])
  local state = {}
  if string.find(id, '^%d+$') then
    local ik = P .. 'inc:' .. id
    local h = redis.call('HGETALL', ik)
    if #h > 0 then
      state = {h, redis.call('HGETALL', ik .. ':firing'), redis.call('HGETALL', ik .. ':muted'),
        redis.call('HGETALL', ik .. ':sends')}
    end
  end
  table.insert(out, state)
end
out[2] = redis.call('ZRANGE', P .. 'timers', 0, 0, 'WITHSCORES')[2] or ''
return out
