-- W2: GET …/statuses/{email} for random stored subscribers.
local common = require("common")
setup, response, done = common.setup, common.response, common.done

local options, headers

function init(args)
  options, headers = common.init(args, false)
end

function request()
  return wrk.format("GET",
    common.prefix .. "/statuses/" .. common.stored_subscriber(options.subscribers)
      .. "?channel=EMAIL", headers)
end
