-- migrate_fp: move fingerprint keys of the old layout, fp:<fingerprint>,
-- into the fingerprint index (fp_index in common.lua). An entry the index
-- already has is newer and stays.
-- KEYS: 1 any key of the deployment (routes the call to its slot)
-- ARGV: 1 prefix, then the fingerprints
-- Returns how many keys moved.
local P = ARGV[1]
local moved = 0
for i = 2, #ARGV do
  local fp = ARGV[i]
  local k = P .. 'fp:' .. fp
  local id = redis.call('GET', k)
  if id then
    redis.call('HSETNX', fp_index(P, fp), fp, id)
    redis.call('DEL', k)
    moved = moved + 1
  end
end
return moved
