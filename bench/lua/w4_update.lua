-- W4: POST …/statuses/{email}: random stored subscriber and type, states alternating
-- SUBSCRIBED / UNSUBSCRIBED from one request to the next.
local common = require("common")
setup, response, done = common.setup, common.response, common.done

local STATES = { "SUBSCRIBED", "UNSUBSCRIBED" }
local options, headers
local counter = 0

function init(args)
  options, headers = common.init(args, true)
end

function request()
  counter = counter + 1
  local body = string.format('{"channel":"EMAIL","statusState":"%s","subscriptionId":%d}',
    STATES[counter % 2 + 1], options.types[math.random(1, #options.types)])
  return wrk.format("POST",
    common.prefix .. "/statuses/" .. common.stored_subscriber(options.subscribers), headers, body)
end
