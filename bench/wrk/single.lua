-- One lead a request (bench/wrk/single.json: the first lead of data/demo/leads.csv, no events).
--   wrk -t1 -c32 -d15s -s bench/wrk/single.lua 'http://127.0.0.1:PORT/v1/score?as_of=...'
local dir = debug.getinfo(1, "S").source:sub(2):match("^(.*)/") or "."
dofile(dir .. "/common.lua")
post_body_file("single.json", dir)
