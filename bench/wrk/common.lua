-- Shared by the wrk scripts of bench/serve_vs_fastapi.sh: POST one JSON body file to the URL
-- given on wrk's command line, and print a one-line JSON summary at the end (prefixed WRKJSON)
-- that the script parses. Loaded with dofile() by single.lua and batch_1000.lua.

local function read_file(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. path)
  local body = f:read("*a")
  f:close()
  return body
end

-- The folder of the calling script, so the bodies are found whatever the working directory.
local function here()
  local src = debug.getinfo(2, "S").source
  return (src:sub(1, 1) == "@" and src:sub(2):match("^(.*)/") or ".")
end

function post_body_file(name, dir)
  wrk.method = "POST"
  wrk.body = read_file((dir or here()) .. "/" .. name)
  wrk.headers["Content-Type"] = "application/json"
end

-- summary.errors.status counts responses with a status >= 400; connect/read/write/timeout are
-- socket errors (a timed-out request is not in summary.requests).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d,"status":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    e.status, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
