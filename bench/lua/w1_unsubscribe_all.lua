-- W1: POST …/statuses/{email}/unsubscribe-all for addresses never seen before.
local common = require("common")
setup, response, done = common.setup, common.response, common.done

local options, headers
local counter = 0

function init(args)
  options, headers = common.init(args, false)
end

function request()
  counter = counter + 1
  local subscriber = string.format("w1-%s-%d-%d@bench.example", options.tag, thread_number, counter)
  return wrk.format("POST",
    common.prefix .. "/statuses/" .. subscriber .. "/unsubscribe-all?channel=EMAIL", headers)
end
