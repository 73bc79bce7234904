-- keep_message: keep the provider's reference of a message a channel
-- posted about an incident, beside the incident's send records, so that
-- it lasts exactly as long as the incident.
-- KEYS[1] = the incident hash
-- ARGV: 1 prefix, 2 field ('msg:<channel's key>'), 3 reference
-- Returns 1, or 0 when the incident is gone (its retention ran out).
local ik = KEYS[1]
if redis.call('EXISTS', ik) == 0 then return 0 end
redis.call('HSET', ik .. ':sends', ARGV[2], ARGV[3])
keep_like_incident(ik, ik .. ':sends')
return 1
