-- subscribers: status page subscribers and their outboxes. Each
-- subscriber has an outbox (sp:out:<sid>, a list) of what it is to be
-- sent, in order; sp:due holds every subscriber with something to send,
-- scored by when its head may be tried. A replica claims due subscribers
-- for a lease (their score moves past it), sends each its head, and pops
-- it only once sent: a replica that dies mid-send leaves the head for
-- whoever claims the subscriber when the lease lapses. One subscriber that
-- keeps failing waits alone; the others go on.
-- ARGV: 1 prefix, 2 now_ms, 3 op, then by op (see each).
local P = ARGV[1]
local now = now_ms(ARGV[2])
local op = ARGV[3]
local due = P .. 'sp:due'

local function subkey(sid) return P .. 'sp:sub:' .. sid end
local function outkey(sid) return P .. 'sp:out:' .. sid end
local function config_sub(sid) return string.sub(sid, 1, 4) == 'cfg:' end

local function enqueue(sid, item, ttl)
  redis.call('RPUSH', outkey(sid), item)
  redis.call('ZADD', due, 'NX', now, sid)
  if ttl then redis.call('PEXPIRE', outkey(sid), ttl) end
end

local function forget(sid)
  local h = redis.call('HMGET', subkey(sid), 'page', 'kind', 'addr_key')
  if h[1] then
    redis.call('SREM', P .. 'sp:subs:' .. h[1], sid)
    redis.call('HDEL', P .. 'sp:subcomp:' .. h[1], sid)
    if h[3] and redis.call('GET', h[3]) == sid then redis.call('DEL', h[3]) end
  end
  redis.call('DEL', subkey(sid), outkey(sid))
  redis.call('ZREM', due, sid)
  return h[1] ~= false
end

-- completed: whether the update whose progress is prog just reached
-- its last subscriber — once every subscriber was given it (fanned), and
-- said only once.
local function completed(prog)
  local c = redis.call('HMGET', prog, 'total', 'sent', 'failed', 'fanned')
  if c[4] and (tonumber(c[2]) or 0) + (tonumber(c[3]) or 0) >= (tonumber(c[1]) or 0)
      and redis.call('HSETNX', prog, 'done_ms', now) == 1 then
    return 'complete'
  end
  return ''
end

if op == 'add' then
  -- 4 sid, 5 page, 6 kind, 7 address key (one subscription per address),
  -- 8 address, 9 components json, 10 secret, 11 '1' = confirmed already,
  -- 12 pending ttl_ms, 13 nonce of the confirmation, 14 first outbox item
  -- ('' = none). Returns {'added'|'exists', sid, state}.
  local sid, page, addrk = ARGV[4], ARGV[5], P .. ARGV[7]
  local existing = redis.call('GET', addrk)
  if existing then
    return {'exists', existing, redis.call('HGET', subkey(existing), 'state') or 'pending'}
  end
  local state = ARGV[11] == '1' and 'active' or 'pending'
  redis.call('HSET', subkey(sid), 'id', sid, 'page', page, 'kind', ARGV[6], 'address', ARGV[8],
    'components', ARGV[9], 'secret', ARGV[10], 'state', state, 'created_ms', now, 'nonce', ARGV[13],
    'addr_key', addrk)
  redis.call('SET', addrk, sid)
  local ttl = nil
  if state == 'active' then
    redis.call('HSET', subkey(sid), 'confirmed_ms', now)
    redis.call('SADD', P .. 'sp:subs:' .. page, sid)
    if ARGV[9] ~= '' and ARGV[9] ~= '[]' then redis.call('HSET', P .. 'sp:subcomp:' .. page, sid, ARGV[9]) end
  else
    ttl = tonumber(ARGV[12])
    redis.call('PEXPIRE', subkey(sid), ttl)
    redis.call('PEXPIRE', addrk, ttl)
  end
  if ARGV[14] ~= '' then enqueue(sid, ARGV[14], ttl) end
  return {'added', sid, state}

elseif op == 'resend' then
  -- 4 sid, 5 new nonce, 6 item, 7 ttl_ms: a pending subscriber asked
  -- again; the earlier confirmation link stops working.
  local sid = ARGV[4]
  local h = redis.call('HMGET', subkey(sid), 'state', 'addr_key')
  if h[1] ~= 'pending' then return {h[1] or 'gone'} end
  local ttl = tonumber(ARGV[7])
  redis.call('HSET', subkey(sid), 'nonce', ARGV[5])
  redis.call('PEXPIRE', subkey(sid), ttl)
  redis.call('PEXPIRE', h[2], ttl)
  enqueue(sid, ARGV[6], ttl)
  return {'resent'}

elseif op == 'confirm' then
  -- 4 sid, 5 nonce. Returns {'confirmed'|'already'|'used'|'gone'}: a
  -- link works once, and only the latest one sent.
  local sid = ARGV[4]
  local h = redis.call('HMGET', subkey(sid), 'state', 'nonce', 'page', 'components', 'addr_key')
  if not h[1] then return {'gone'} end
  if h[1] == 'active' then return {'already'} end
  if h[2] ~= ARGV[5] then return {'used'} end
  redis.call('HSET', subkey(sid), 'state', 'active', 'confirmed_ms', now)
  redis.call('HDEL', subkey(sid), 'nonce')
  redis.call('PERSIST', subkey(sid))
  redis.call('PERSIST', h[5])
  redis.call('PERSIST', outkey(sid))
  redis.call('SADD', P .. 'sp:subs:' .. h[3], sid)
  if h[4] and h[4] ~= '' and h[4] ~= '[]' then redis.call('HSET', P .. 'sp:subcomp:' .. h[3], sid, h[4]) end
  return {'confirmed'}

elseif op == 'delete' then
  -- 4 sid. Returns {'deleted'|'gone'}.
  if forget(ARGV[4]) then return {'deleted'} end
  return {'gone'}

elseif op == 'fanout' then
  -- 4 update "<incident>:<n>", 5 item, 6 ttl_ms of the bookkeeping,
  -- 7.. subscriber ids. Each is given the item once, however often the
  -- same update is fanned out (a replica that died halfway, a retry).
  -- Returns how many were given it now.
  local fan, prog = P .. 'sp:fan:' .. ARGV[4], P .. 'sp:prog:' .. ARGV[4]
  local n = 0
  for i = 7, #ARGV do
    local sid = ARGV[i]
    if (config_sub(sid) or redis.call('HGET', subkey(sid), 'state') == 'active')
        and redis.call('SADD', fan, sid) == 1 then
      enqueue(sid, ARGV[5])
      n = n + 1
    end
  end
  redis.call('HINCRBY', prog, 'total', n)
  redis.call('HSETNX', prog, 'started_ms', now)
  redis.call('PEXPIRE', fan, tonumber(ARGV[6]))
  redis.call('PEXPIRE', prog, tonumber(ARGV[6]))
  return n

elseif op == 'fanned' then
  -- 4 update "<incident>:<n>": every subscriber was given it. Returns
  -- 'complete' when every one was reached already (or there were none).
  local prog = P .. 'sp:prog:' .. ARGV[4]
  redis.call('HSET', prog, 'fanned', 1)
  return completed(prog)

elseif op == 'claim' then
  -- 4 max, 5 lease_ms. Returns {sid, head item, ...} of the due
  -- subscribers it claimed for the lease.
  local out = {}
  local sids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
  for _, sid in ipairs(sids) do
    local head = redis.call('LINDEX', outkey(sid), 0)
    if head then
      redis.call('ZADD', due, now + tonumber(ARGV[5]), sid)
      out[#out + 1] = sid
      out[#out + 1] = head
    else
      redis.call('ZREM', due, sid)
    end
  end
  return out

elseif op == 'done' then
  -- 4 sid, 5 key of the item sent, 6 'sent'|'failed'|'dropped', 7 error,
  -- 8 update "<incident>:<n>" ('' = not an update), 9 '1' = forget the
  -- subscriber (unsubscribed at the provider). Returns {'done'|'stale',
  -- 'complete' when it was the update's last subscriber, else ''}.
  local sid, key, result = ARGV[4], ARGV[5], ARGV[6]
  local head = redis.call('LINDEX', outkey(sid), 0)
  if not head or cjson.decode(head).key ~= key then return {'stale', ''} end
  redis.call('LPOP', outkey(sid))
  if not config_sub(sid) and redis.call('EXISTS', subkey(sid)) == 1 then
    if result == 'sent' then
      redis.call('HINCRBY', subkey(sid), 'delivered', 1)
      redis.call('HSET', subkey(sid), 'last_ok_ms', now)
    else
      redis.call('HINCRBY', subkey(sid), 'failed', 1)
      redis.call('HSET', subkey(sid), 'last_error', ARGV[7])
    end
    redis.call('HDEL', subkey(sid), 'attempts')
  elseif config_sub(sid) then
    redis.call('HDEL', P .. 'sp:attempts', sid)
  end
  local complete = ''
  if ARGV[8] ~= '' then
    local prog = P .. 'sp:prog:' .. ARGV[8]
    redis.call('HINCRBY', prog, result == 'sent' and 'sent' or 'failed', 1)
    complete = completed(prog)
  end
  if ARGV[9] == '1' then
    forget(sid)
  elseif redis.call('LLEN', outkey(sid)) > 0 then
    redis.call('ZADD', due, now, sid)
  else
    redis.call('ZREM', due, sid)
  end
  return {'done', complete}

elseif op == 'retry' then
  -- 4 sid, 5 key, 6 base_ms, 7 error, 8 cap_ms, 9 floor_ms: the head
  -- failed; try it again after an exponential backoff from base (its
  -- attempts are counted here, so every replica counts the same), at
  -- most cap, at least floor (what the receiver asked). Returns the
  -- attempts so far.
  local sid, key = ARGV[4], ARGV[5]
  local head = redis.call('LINDEX', outkey(sid), 0)
  if not head or cjson.decode(head).key ~= key then return 0 end
  local n
  if config_sub(sid) then
    n = redis.call('HINCRBY', P .. 'sp:attempts', sid, 1)
  else
    redis.call('HSET', subkey(sid), 'last_error', ARGV[7])
    n = redis.call('HINCRBY', subkey(sid), 'attempts', 1)
  end
  local wait = math.min(tonumber(ARGV[8]), tonumber(ARGV[6]) * 2 ^ math.min(n - 1, 30))
  wait = math.max(wait, tonumber(ARGV[9]))
  redis.call('ZADD', due, now + wait, sid)
  return n
end
return redis.error_reply('unknown subscribers op ' .. op)
