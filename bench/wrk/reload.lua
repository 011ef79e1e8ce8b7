-- For bench/load_reload.sh and bench/faults.sh: POST one JSON body file (env BODY, default
-- single.json beside this script) to the URL on wrk's command line, count every non-2xx status
-- (wrk's own "Non-2xx" counter only counts >= 400) per status code, and print one summary line:
--   RELOADJSON {"requests":..,"non2xx":..,"statuses":{"503":..},"connect":..,"read":..,...}
--   wrk -t1 -c256 -d60s -s bench/wrk/reload.lua 'http://127.0.0.1:PORT/v1/score?as_of=...'
local dir = debug.getinfo(1, "S").source:sub(2):match("^(.*)/") or "."

local function read_file(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. path)
  local body = f:read("*a")
  f:close()
  return body
end

local body_file = os.getenv("BODY") or "single.json"
if body_file:sub(1, 1) ~= "/" then body_file = dir .. "/" .. body_file end
wrk.method = "POST"
wrk.body = read_file(body_file)
wrk.headers["Content-Type"] = "application/json"

-- Each wrk thread has its own Lua state: the counts live there and done() collects them.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

non2xx = 0
statuses = {}
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad, by = 0, {}
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    for k, v in pairs(t:get("statuses") or {}) do by[k] = (by[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(by) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'RELOADJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"statuses":{%s},"connect":%d,' ..
    '"read":%d,"write":%d,"timeout":%d,"status_ge400":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, bad, table.concat(parts, ","), e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50), latency:percentile(99), latency.max))
end
