-- layout: the deployment's shard layout (store/shards.go), fixed by the
-- first start with more than one shard. It keeps the ids issued until
-- then (incidents and action items stay in the home shard, their ids
-- below the bases), and the groups open in the home shard then, whose
-- alerts stay with their incidents there.
-- KEYS[1] = a key of the home shard; ARGV: 1 prefix (the home shard's),
-- 2 shards wanted, 3 the inhibit mirror's consumer group
-- (InhibitMirrorGroup), 4 now_ms (0 = Redis TIME).
-- Returns {shards, base, action base}: the layout as Redis holds it (one
-- shard with no layout kept: {1, 0, 0}, and nothing is written).
-- When it fixes the layout now, the sources of inhibition rules firing in
-- the home shard go out on its event stream as if they had just joined
-- their sets, for the inhibit mirror to copy into the other shards as it
-- copies every later change: in this one step with the layout, so that a
-- failed start cannot lose them, and ahead of any later change of
-- theirs. The mirror's group is created first (a group starts at new
-- events), so that it reads them whenever its reader starts.
local P, want, mirror_group = ARGV[1], ARGV[2], ARGV[3]
local cur = redis.call('HMGET', P .. 'layout', 'shards', 'seq', 'actions:seq')
if cur[1] then return cur end
if tonumber(want) <= 1 then return {'1', '0', '0'} end
local base = redis.call('GET', P .. 'seq') or '0'
local action_base = redis.call('GET', P .. 'actions:seq') or '0'
redis.call('HSET', P .. 'layout', 'shards', want, 'seq', base, 'actions:seq', action_base)
for _, id in ipairs(redis.call('ZRANGE', P .. 'open', 0, -1)) do
  local group = redis.call('HGET', P .. 'inc:' .. id, 'group')
  if group then redis.call('SADD', P .. 'legacy_groups', group) end
end
redis.pcall('XGROUP', 'CREATE', P .. 'events', mirror_group, '$', 'MKSTREAM') -- BUSYGROUP: it exists
local now, cursor = string.format('%d', now_ms(ARGV[4])), '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', P .. 'inh:*', 'COUNT', 1000)
  cursor = page[1]
  for _, k in ipairs(page[2]) do
    local role = string.sub(k, -2)
    if role == ':o' or role == ':b' then
      local key = string.sub(k, #P + 5, -3)
      for _, fp in ipairs(redis.call('SMEMBERS', k)) do
        -- As suppress.lua's source_changed publishes a change.
        redis.call('XADD', P .. 'events', '*', 'incident', '0', 'service', '', 'at', now,
          'event', 'inhibit_source', 'detail', string.sub(role, 2) .. ':' .. key, 'actor', fp, 'via', '', 'tag', '+')
      end
    end
  end
until cursor == '0'
return {want, base, action_base}
