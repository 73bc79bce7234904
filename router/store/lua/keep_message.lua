-- keep_message: keep the provider's reference of a message a channel
-- posted about an incident, beside the incident's send records, so that
-- it lasts exactly as long as the incident; and, when the message is
-- given a place (where it is on its platform, as a reply to it names it),
-- file it there, so that a reply finds its incident (messages.go).
-- KEYS[1] = the incident hash
-- ARGV: 1 prefix, 2 field ('msg:<channel's key>'), 3 reference,
--       4 place ('' = none), 5 what the place says: the incident's id
--       and the channel's key of the thread's first message
-- Returns 1, or 0 when the incident is gone (its retention ran out).
local P = ARGV[1]
local ik = KEYS[1]
if redis.call('EXISTS', ik) == 0 then return 0 end
redis.call('HSET', ik .. ':sends', ARGV[2], ARGV[3])
keep_like_incident(ik, ik .. ':sends')
local place = ARGV[4]
if place and place ~= '' then
  local pk = P .. 'msgat:' .. place
  redis.call('SET', pk, ARGV[5])
  -- close() gives every place listed here the incident's retention.
  redis.call('SADD', ik .. ':places', place)
  keep_like_incident(ik, pk)
  keep_like_incident(ik, ik .. ':places')
end
return 1
