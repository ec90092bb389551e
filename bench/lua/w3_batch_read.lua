-- W3: POST …/statuses/batch/read with 100 random stored subscribers per request.
local common = require("common")
setup, response, done = common.setup, common.response, common.done

local BATCH = 100
local options, headers

function init(args)
  options, headers = common.init(args, true)
end

function request()
  local inputs = {}
  for i = 1, BATCH do
    inputs[i] = '"' .. common.stored_subscriber(options.subscribers) .. '"'
  end
  return wrk.format("POST", common.prefix .. "/statuses/batch/read?channel=EMAIL", headers,
    '{"inputs":[' .. table.concat(inputs, ",") .. ']}')
end
