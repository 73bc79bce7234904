-- now_ms for the lean scripts (store.lean) that need no other helper:
-- common.lua's, the same function, costs them its dozen other helpers on
-- every call.
local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
