-- 1,000 leads a request (bench/wrk/batch_1000.json: {"leads": [...]} with the first 1,000 leads
-- of data/demo/leads.csv, no events, ~170 KB).
--   wrk -t1 -c8 -d15s -s bench/wrk/batch_1000.lua 'http://127.0.0.1:PORT/v1/score?as_of=...'
local dir = debug.getinfo(1, "S").source:sub(2):match("^(.*)/") or "."
dofile(dir .. "/common.lua")
post_body_file("batch_1000.json", dir)
