-- inhibit_mirror: a source of an inhibition rule in another shard joined
-- or left its set; this shard's copy follows (mirror in suppress.lua).
-- ARGV: 1 prefix, 2 now_ms (0 = Redis TIME), 3 '+' or '-', 4 role (o or
-- b), 5 the rule's set key, 6 member '<shard>/<fingerprint>'.
local P, op, role = ARGV[1], ARGV[3], ARGV[4]
if (op ~= '+' and op ~= '-') or (role ~= 'o' and role ~= 'b') then
  return redis.error_reply('inhibit_mirror: bad op ' .. op .. ' or role ' .. role)
end
suppression().mirror(P, op, role, ARGV[5], ARGV[6], now_ms(ARGV[2]))
return 1
