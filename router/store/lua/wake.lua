-- Cross-replica wake-ups. Every engine sleeps until the earliest timer it
-- saw (or its Poll), and listens on the deployment's wake channel. A
-- script that leaves the earliest timer earlier than it found it — a new
-- incident due now, an ack, an endsAt sooner than anything else — says so
-- there, with the new earliest due time, so that the engines of other
-- replicas (and this one's, busy or not) wake for it instead of at their
-- next poll. store.script wraps the body of each script that may move a
-- timer earlier between timers_head and wake_if_earlier, so no ZADD has
-- to remember it: one look at the head before, one after, and a PUBLISH
-- only when the head moved earlier.

-- timers_head: the earliest timer's due time as Redis wrote it (a string
-- of ms), or nil when there is none.
local function timers_head(P)
  return redis.call('ZRANGE', P .. 'timers', 0, 0, 'WITHSCORES')[2]
end

-- wake_if_earlier: publish the earliest due time on the wake channel when
-- it is earlier than before (the head before this script ran; nil: none).
local function wake_if_earlier(P, before)
  local after = timers_head(P)
  if after and (not before or tonumber(after) < tonumber(before)) then
    -- pcall: a Redis user whose ACL forbids the channel loses the
    -- wake-ups (the engines poll), not the script's writes.
    redis.pcall('PUBLISH', P .. 'wake', after)
  end
end
