-- wrk script for bench/run.sh.
--   no arguments:            GET the URL given to wrk (hit tests)
--   -- mix N SIZE PREFIX:    GET PREFIX<k>?size=SIZE for k random in [0, N)
-- Headers given with -H (Host) are kept. done() prints one machine-readable
-- line that run.sh parses.

local paths

function init(args)
  if args[1] == "mix" then
    local n, size, prefix = tonumber(args[2]), args[3], args[4]
    paths = {}
    for k = 0, n - 1 do
      paths[k + 1] = wrk.format("GET", prefix .. k .. "?size=" .. size)
    end
    request = function()
      return paths[math.random(1, n)]
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d err_status=%d err_other=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
