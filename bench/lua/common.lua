-- Shared by every workload script: arguments, status counting, and one JSON line of results.
-- wrk runs each thread in its own Lua state; done() runs in the main one and collects the
-- per-thread counters through the thread objects kept by setup().
local common = {}
local threads = {}

common.prefix = "/communication-preferences/v4"

function common.setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

-- Script arguments (after "--" on wrk's command line): token, run tag, subscriber count,
-- subscription type ids as "1,2,3".
function common.parse(args)
  local parsed = { token = args[1], tag = args[2], subscribers = tonumber(args[3] or "0") or 0,
                   types = {} }
  for id in string.gmatch(args[4] or "", "%d+") do
    table.insert(parsed.types, tonumber(id))
  end
  return parsed
end

-- For a script's init(): its options and request headers; seeds this thread's random numbers.
function common.init(args, with_body)
  local options = common.parse(args)
  local headers = { ["Authorization"] = "Bearer " .. options.token }
  if with_body then
    headers["Content-Type"] = "application/json"
  end
  math.randomseed(os.time() * 100 + thread_number)
  return options, headers
end

-- The stored subscribers are sub-<i>@bench.example for i in [0, count).
function common.stored_subscriber(count)
  return string.format("sub-%d@bench.example", math.random(0, count - 1))
end

statuses = {}

function common.response(status, _headers, _body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function json_object(pairs_list)
  local parts = {}
  for _, pair in ipairs(pairs_list) do
    table.insert(parts, string.format("%q:%s", pair[1], pair[2]))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function common.done(summary, latency, _requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local by_status = {}
  for status, count in pairs(counts) do
    table.insert(by_status, { tostring(status), tostring(count) })
  end
  local errors = summary.errors
  io.write("BENCH_RESULT ", json_object({
    { "requests", tostring(summary.requests) },
    { "duration_us", tostring(summary.duration) },
    { "bytes", tostring(summary.bytes) },
    { "latency_p50_us", tostring(latency:percentile(50)) },
    { "latency_p99_us", tostring(latency:percentile(99)) },
    { "latency_max_us", tostring(latency.max) },
    { "latency_mean_us", string.format("%.1f", latency.mean) },
    { "statuses", json_object(by_status) },
    { "socket_errors", json_object({
      { "connect", tostring(errors.connect) }, { "read", tostring(errors.read) },
      { "write", tostring(errors.write) }, { "timeout", tostring(errors.timeout) },
    }) },
  }), "\n")
end

return common
