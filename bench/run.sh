#!/usr/bin/env bash
# bench/run.sh: OpenFront against nginx (proxy_cache) and Varnish (malloc),
# same origin, same load generator (wrk), same run. Writes bench/RESULTS.md.
#
# Everything listens on 127.0.0.1 (free ports picked at start). Pinning on a
# 2-core machine: the servers under test (openfront, the nginx master and
# its one worker, varnishd) run on CPU $SERVER_CPU (default 1); wrk, the
# origin and the helper client on CPU $CLIENT_CPU (default 0). OpenFront
# therefore runs with GOMAXPROCS=1 (the Go runtime follows the affinity
# mask), nginx with worker_processes 1, Varnish with its default thread
# pools, all on one core.
#
# Knobs (environment): DURATION (10s), ROUNDS (2, interleaved; the best
# round per target and test is reported), CONNS (64), THREADS (1),
# RSS_OBJECTS (100000), RSS_SIZE (1024), SERVER_CPU, CLIENT_CPU,
# MEMTEST (1: also run the 10 GiB streaming test in tests/memory),
# OUT (bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/nginx.sh # write_nginx_conf: the nginx compared with
ROOT=$PWD
export PATH="$PATH:/usr/sbin:/sbin"

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
RSS_OBJECTS=${RSS_OBJECTS:-100000}
RSS_SIZE=${RSS_SIZE:-1024}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
MEMTEST=${MEMTEST:-1}
OUT=${OUT:-$ROOT/bench/RESULTS.md}
TARGETS=(openfront nginx varnish)
TESTS=(hit1k hit1m mix)

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v varnishd >/dev/null || need+=(varnish)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v taskset >/dev/null || need+=(util-linux)
command -v pgrep >/dev/null || need+=(procps)
python3 -c 'import boto3' 2>/dev/null || need+=(python3-boto3)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >/dev/null
fi
command -v go >/dev/null || die "go is required"
[ "$(nproc)" -gt "$SERVER_CPU" ] && [ "$(nproc)" -gt "$CLIENT_CPU" ] || die "need CPUs $SERVER_CPU and $CLIENT_CPU"

WORK=$(mktemp -d /tmp/openfront-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local pid i
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for i in $(seq 1 50); do # bounded: 5 s for everything to stop
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_http URL: bounded wait (10 s) for any HTTP answer.
wait_http() {
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  die "no answer from $1 after 10 s"
}

# ---------------------------------------------------------------- build
log "building openfront, origin, client"
mkdir -p "$WORK/bin"
go build -o "$WORK/bin/openfront" ./cmd/openfront
go build -o "$WORK/bin/origin" ./bench/origin
go build -o "$WORK/bin/client" ./bench/client
CLIENT=(taskset -c "$CLIENT_CPU" "$WORK/bin/client")

read -r P_ORIGIN P_API P_EDGE P_NGINX P_VARNISH < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
)
declare -A PORT=([openfront]=$P_EDGE [nginx]=$P_NGINX [varnish]=$P_VARNISH)
ORIGIN="http://127.0.0.1:$P_ORIGIN"

# ---------------------------------------------------------------- servers
log "origin on :$P_ORIGIN (CPU $CLIENT_CPU)"
taskset -c "$CLIENT_CPU" "$WORK/bin/origin" -addr "127.0.0.1:$P_ORIGIN" >"$WORK/origin.log" 2>&1 &
PIDS+=($!)
wait_http "$ORIGIN/count"

log "openfront edge on :$P_EDGE, API on :$P_API (CPU $SERVER_CPU)"
export OPENFRONT_ACCESS_KEY_ID=AKIAOPENFRONTBENCH01
export OPENFRONT_SECRET_ACCESS_KEY=benchSecretKey/OpenFront+Bench0123456789
taskset -c "$SERVER_CPU" "$WORK/bin/openfront" serve --api-addr "127.0.0.1:$P_API" --edge-addr "127.0.0.1:$P_EDGE" \
  --edge-tls-addr "" --rtmp-addr "" --data-dir "$WORK/openfront" --cache-memory-bytes $((2 << 30)) \
  --log-level warn >"$WORK/openfront.log" 2>&1 &
OF_PID=$!
PIDS+=("$OF_PID")
for i in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$P_API/healthz")" = 200 ] && break
  [ "$i" -eq 100 ] && die "openfront not healthy after 10 s: $(cat "$WORK/openfront.log")"
  sleep 0.1
done
DOMAIN=$(python3 bench/mkdist.py "http://127.0.0.1:$P_API" "$P_ORIGIN" cached)
log "distribution $DOMAIN"

log "nginx on :$P_NGINX (CPU $SERVER_CPU)"
write_nginx_conf "$WORK/nginx" "$P_ORIGIN" "$P_NGINX"
taskset -c "$SERVER_CPU" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_http "http://127.0.0.1:$P_NGINX/count"

log "varnish on :$P_VARNISH (CPU $SERVER_CPU)"
taskset -c "$SERVER_CPU" varnishd -F -j none -n "$WORK/varnish" -a "127.0.0.1:$P_VARNISH" -b "127.0.0.1:$P_ORIGIN" \
  -T none -s malloc,4g >"$WORK/varnish.log" 2>&1 &
VARNISH_PID=$!
PIDS+=("$VARNISH_PID")
wait_http "http://127.0.0.1:$P_VARNISH/count"

# server_pids T: the processes of target T (master and children).
server_pids() {
  case $1 in
    openfront) echo "$OF_PID" ;;
    nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true) ;;
    varnish) echo "$VARNISH_PID" $(pgrep -P "$VARNISH_PID" || true) ;;
  esac
}
# rss_kib T: summed VmRSS of T's processes.
rss_kib() {
  local p sum=0 v
  for p in $(server_pids "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
# cpu_ticks T: summed utime+stime (clock ticks) of T's processes.
cpu_ticks() {
  local p sum=0 v
  for p in $(server_pids "$1"); do
    v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
origin_count() { curl -s --max-time 5 "$ORIGIN/count${1:+?path=$1}"; }

RES="$WORK/results.txt"
: >"$RES"
{
  echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$RES"

# ---------------------------------------------------------------- warm
log "warming every cache (1 KiB, 1 MiB, 1,000 x 10 KiB)"
for t in "${TARGETS[@]}"; do
  for pass in 1 2; do
    "${CLIENT[@]}" warm -addr "127.0.0.1:${PORT[$t]}" -host "$DOMAIN" -path "/obj/hit1k?size=1024" -n 1 -c 1
    "${CLIENT[@]}" warm -addr "127.0.0.1:${PORT[$t]}" -host "$DOMAIN" -path "/obj/hit1m?size=1048576" -n 1 -c 1
    "${CLIENT[@]}" warm -addr "127.0.0.1:${PORT[$t]}" -host "$DOMAIN" -path "/obj/mix%d?size=10240" -n 1000 -c 16
  done
done
WARM_FETCHES=$(origin_count)
[ "$WARM_FETCHES" -eq $((3 * 1002)) ] || log "warning: $WARM_FETCHES origin fetches while warming, expected $((3 * 1002))"

# ---------------------------------------------------------------- load
run_wrk() { # round test target
  local round=$1 test=$2 t=$3 url="http://127.0.0.1:${PORT[$3]}" args c0 c1 out line
  case $test in
    hit1k) args=("$url/obj/hit1k?size=1024") ;;
    hit1m) args=("$url/obj/hit1m?size=1048576") ;;
    mix) args=("$url/" -- mix 1000 10240 /obj/mix) ;;
  esac
  c0=$(cpu_ticks "$t")
  out=$(taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s --latency \
    -s bench/wrk.lua -H "Host: $DOMAIN" "${args[@]}")
  c1=$(cpu_ticks "$t")
  line=$(grep '^WRK ' <<<"$out") || die "wrk printed no summary: $out"
  echo "run round=$round test=$test target=$t ${line#WRK } cpu_ticks=$((c1 - c0))" >>"$RES"
  log "round $round $test $t: ${line#WRK }"
}
before=$(origin_count)
for round in $(seq 1 "$ROUNDS"); do
  for test in "${TESTS[@]}"; do
    for t in "${TARGETS[@]}"; do
      run_wrk "$round" "$test" "$t"
    done
  done
done
echo "hit_run_origin_fetches $(($(origin_count) - before))" >>"$RES"

# ---------------------------------------------------------------- collapsing
for t in "${TARGETS[@]}"; do
  p="/obj/collapse-$t"
  "${CLIENT[@]}" collapse -addr "127.0.0.1:${PORT[$t]}" -host "$DOMAIN" -path "$p?size=10240&delay=300ms" -n 200 \
    || log "warning: collapse run against $t had failures"
  n=$(origin_count "$p")
  echo "collapse target=$t fetches=$n" >>"$RES"
  log "collapsing $t: $n origin fetches for 200 concurrent cold requests"
done

# ---------------------------------------------------------------- RSS
for t in "${TARGETS[@]}"; do
  r0=$(rss_kib "$t")
  s0=$(date +%s.%N)
  "${CLIENT[@]}" warm -addr "127.0.0.1:${PORT[$t]}" -host "$DOMAIN" -path "/obj/rss%d?size=$RSS_SIZE" -n "$RSS_OBJECTS" -c 16 -timeout 5m
  s1=$(date +%s.%N)
  sleep 2
  r1=$(rss_kib "$t")
  b=$(origin_count)
  "${CLIENT[@]}" warm -addr "127.0.0.1:${PORT[$t]}" -host "$DOMAIN" -path "/obj/rss%d?size=$RSS_SIZE" -n 1000 -c 16
  refetch=$(($(origin_count) - b))
  echo "rss target=$t before_kib=$r0 after_kib=$r1 fill_s=$(awk -v a="$s0" -v b="$s1" 'BEGIN{print b-a}') refetch=$refetch" >>"$RES"
  log "RSS $t: $r0 KiB -> $r1 KiB after $RSS_OBJECTS x $RSS_SIZE B (re-read 1,000: $refetch origin fetches)"
done
echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES"

# ---------------------------------------------------------------- memory test
if [ "$MEMTEST" = 1 ]; then
  log "10 GiB streaming test (tests/memory)"
  if go test -count=1 -timeout 15m -run 'TestStream' -v ./tests/memory/ >"$WORK/memtest.log" 2>&1; then
    echo "memtest status=PASS" >>"$RES"
  else
    echo "memtest status=FAIL" >>"$RES"
  fi
  grep -E '^\s+stream_test.go:[0-9]+: (RESULT|SKIP)|--- (PASS|FAIL|SKIP)' "$WORK/memtest.log" | sed 's/^/memtest_line /' >>"$RES" || true
fi

# ---------------------------------------------------------------- report
log "writing $OUT"
BENCH_THREADS=$THREADS BENCH_CONNS=$CONNS BENCH_DURATION=$DURATION BENCH_SERVER_CPU=$SERVER_CPU \
  BENCH_CLIENT_CPU=$CLIENT_CPU BENCH_RSS_OBJECTS=$RSS_OBJECTS BENCH_RSS_SIZE=$RSS_SIZE \
  python3 - "$RES" "$OUT" <<'EOF'
import datetime, os, platform, subprocess, sys
E = os.environ

res, out = sys.argv[1], sys.argv[2]
runs, collapse, rss, mem, meta = [], {}, {}, [], {}
for line in open(res):
    kind, _, rest = line.rstrip("\n").partition(" ")
    if kind == "memtest_line":
        mem.append(rest.strip())
        continue
    kv = dict(p.split("=", 1) for p in rest.split() if "=" in p)
    if kind == "run":
        runs.append(kv)
    elif kind == "collapse":
        collapse[kv["target"]] = int(kv["fetches"])
    elif kind == "rss":
        rss[kv["target"]] = kv
    elif kind == "memtest":
        meta["memtest"] = kv["status"]
    else:
        meta[kind] = rest

def best(test, target):
    rs = [r for r in runs if r["test"] == test and r["target"] == target]
    return max(rs, key=lambda r: int(r["requests"]) / int(r["duration_us"]))

def rps(r): return int(r["requests"]) / (int(r["duration_us"]) / 1e6)
def mbs(r): return int(r["bytes"]) / (int(r["duration_us"]) / 1e6) / 1e6
def p99(r): return int(r["p99_us"]) / 1000
def cpu(r): return int(r["cpu_ticks"]) * 1e6 / 100 / max(1, int(r["requests"]))  # us of server CPU per request
def errs(r): return int(r["err_status"]) + int(r["err_other"])

T = ["openfront", "nginx", "varnish"]
B = {(t, x): best(t, x) for t in ("hit1k", "hit1m", "mix") for x in T}
def ratio(a, b): return "%.2f" % (a / b) if b else "n/a"

rows = []
def row(name, f, fmt, test):
    v = {x: f(B[(test, x)]) for x in T}
    rows.append("| %s | %s | %s | %s | %s | %s |" % (name, fmt % v["openfront"], fmt % v["nginx"], fmt % v["varnish"],
        ratio(v["openfront"], v["nginx"]), ratio(v["openfront"], v["varnish"])))
    return v
h1 = row("1 KiB hit, req/s", rps, "%.0f", "hit1k")
p1 = row("1 KiB hit, p99 ms", p99, "%.2f", "hit1k")
c1 = row("1 KiB hit, server CPU us/req", cpu, "%.1f", "hit1k")
m1 = row("1 MiB hit, MB/s", mbs, "%.0f", "hit1m")
row("1 MiB hit, p99 ms", p99, "%.1f", "hit1m")
row("1,000-key 10 KiB mix, req/s", rps, "%.0f", "mix")
row("1,000-key 10 KiB mix, p99 ms", p99, "%.2f", "mix")
row("1,000-key 10 KiB mix, server CPU us/req", cpu, "%.1f", "mix")
rows.append("| collapsing: origin fetches for 200 cold requests | %d | %d | %d | | |" % tuple(collapse.get(x, -1) for x in T))
nobj, osize = int(E["BENCH_RSS_OBJECTS"]), int(E["BENCH_RSS_SIZE"])
obj_bytes = nobj * osize
rssa = {x: int(rss[x]["after_kib"]) * 1024 for x in T}
rows.append("| RSS after %d x %d B objects, MiB | %.0f | %.0f | %.0f | %s | %s |" % (nobj, osize,
    *(rssa[x] / 2**20 for x in T), ratio(rssa["openfront"], rssa["nginx"]), ratio(rssa["openfront"], rssa["varnish"])))
rows.append("| RSS growth while filling them, MiB | %.0f | %.0f | %.0f | | |" % tuple(
    (int(rss[x]["after_kib"]) - int(rss[x]["before_kib"])) / 1024 for x in T))
rows.append("| miss fill rate while filling them, req/s | %.0f | %.0f | %.0f | | |" % tuple(
    nobj / float(rss[x]["fill_s"]) for x in T))

def verdict(ok): return "PASS" if ok else "**FAIL**"
targets = [
    ("1 KiB hit req/s >= 1.3x nginx", "%.2fx" % (h1["openfront"] / h1["nginx"]), h1["openfront"] >= 1.3 * h1["nginx"]),
    ("1 KiB hit req/s >= 1.1x Varnish", "%.2fx" % (h1["openfront"] / h1["varnish"]), h1["openfront"] >= 1.1 * h1["varnish"]),
    ("1 KiB hit p99 <= nginx's", "%.2f ms vs %.2f ms" % (p1["openfront"], p1["nginx"]), p1["openfront"] <= p1["nginx"]),
    ("1 KiB hit server CPU per request <= 0.5x nginx's (issue 13)", "%.2f us vs %.2f us = %.3fx" % (c1["openfront"], c1["nginx"],
        c1["openfront"] / c1["nginx"]), c1["openfront"] <= 0.5 * c1["nginx"]),
    ("1 MiB hit MB/s >= nginx", "%.2fx" % (m1["openfront"] / m1["nginx"]), m1["openfront"] >= m1["nginx"]),
    ("collapsing = 1 origin fetch", str(collapse.get("openfront")), collapse.get("openfront") == 1),
    ("RSS at %d cached %d B objects <= 2x their bytes (%.0f MiB)" % (nobj, osize, 2 * obj_bytes / 2**20),
        "%.0f MiB = %.2fx" % (rssa["openfront"] / 2**20, rssa["openfront"] / obj_bytes), rssa["openfront"] <= 2 * obj_bytes),
]
if "memtest" in meta:
    import re
    growth = ["%s +%s MiB" % g for g in (re.search(r"RESULT (\S+): .*growth ([0-9.]+) MiB", m).groups() for m in mem if "RESULT" in m)]
    targets.append(("10 GiB object streamed: RSS growth < 32 MiB (tests/memory)", "; ".join(growth) or "see below", meta["memtest"] == "PASS"))

allruns = ["| %s | %s | %s | %.0f | %.1f | %.2f | %.1f | %d |" % (r["round"], r["test"], r["target"], rps(r), mbs(r), p99(r), cpu(r), errs(r)) for r in runs]

def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return "?"
cpu_model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
text = f"""# OpenFront vs nginx vs Varnish (bench/run.sh)

Date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M %Z').strip()} · Machine: {sh('nproc')} CPUs ({cpu_model}), Linux {platform.release()},
{sh('go version')}, {sh('nginx -v 2>&1')}, {sh("varnishd -V 2>&1 | head -1")}, {sh("wrk -v 2>&1 | head -1 | cut -d' ' -f1-2")}.
Load average before/after the run: {meta.get('load_before', '?')} / {meta.get('load_after', '?')}. Other work on the
machine shows up here; when it is well above 2, req/s, MB/s and p99 swing from round to round and the
"server CPU us/req" rows are the fairer comparison.

Load: `wrk -t{E["BENCH_THREADS"]} -c{E["BENCH_CONNS"]} -d{E["BENCH_DURATION"]}` (HTTP/1.1 keep-alive, same Host header, same URLs) against each
server in turn, {len(set(r['round'] for r in runs))} interleaved rounds; each cell is the round with the best req/s.
Pinning: servers on CPU {E["BENCH_SERVER_CPU"]} (`taskset -c {E["BENCH_SERVER_CPU"]}`; OpenFront thus runs with GOMAXPROCS=1, nginx
with 1 worker, Varnish's thread pools on that core); wrk, the origin and the helper client on CPU {E["BENCH_CLIENT_CPU"]}.

## Results

| measure | OpenFront | nginx | Varnish | OpenFront/nginx | OpenFront/Varnish |
|---|---|---|---|---|---|
""" + "\n".join(rows) + """

## Targets

| target | OpenFront | verdict |
|---|---|---|
""" + "\n".join("| %s | %s | %s |" % (a, b, verdict(c)) for a, b, c in targets) + f"""

## Setup

- Origin: `bench/origin` (Go, loopback) serves `/obj/<n>?size=<bytes>` with `Cache-Control: max-age=3600`,
  `application/octet-stream` (nothing compresses), and counts requests per path.
- OpenFront: `openfront serve --cache-memory-bytes 2GiB` (memory tier only), one distribution created with boto3,
  legacy ForwardedValues with the query string in the key (as nginx's `$host$request_uri` and Varnish's default hash),
  TTL from the origin.
- nginx: `proxy_cache` (files under /tmp, `levels=1:2`, keys_zone 64m), `proxy_cache_lock on`, upstream keep-alive,
  `access_log off`, `sendfile on`, `keepalive_requests 1000000`, `worker_processes 1`.
- Varnish: `varnishd -b <origin>` (built-in VCL), `-s malloc,4g`, defaults otherwise.
- Each cache is warmed (1 KiB, 1 MiB and the 1,000 10 KiB objects, twice) before the load; origin fetches during all
  wrk runs: {meta.get('hit_run_origin_fetches', '?')} (0 means every measured request was a hit).
- Collapsing: 200 requests for one cold object, on 200 connections, released together; the origin delays that answer
  300 ms so they all arrive during the fill; the figure is the origin's count for the path.
- RSS: VmRSS from /proc/<pid>/status, summed over the master and children for nginx and Varnish (shared pages are
  counted once per process). nginx keeps cached bodies in files (page cache, not RSS); Varnish malloc and OpenFront's
  memory tier keep them in RSS. Re-reading 1,000 of the filled objects afterwards cost
  {', '.join('%s %s' % (x, rss[x]['refetch']) for x in T)} origin fetches.
- "server CPU us/req": utime+stime of the server processes during the wrk run / requests; less sensitive than req/s
  to other load on the machine.

## All runs

| round | test | target | req/s | MB/s | p99 ms | server CPU us/req | errors |
|---|---|---|---|---|---|---|---|
""" + "\n".join(allruns) + "\n"
if mem:
    text += "\n## Streaming memory test (tests/memory)\n\n```\n" + "\n".join(mem) + "\n```\n"
# bench/tls.sh's section (HTTPS, HTTP/2, handshakes, misses) stays.
if os.path.exists(out):
    old = open(out).read()
    i = old.find("## HTTPS, HTTP/2, handshakes, misses")
    if i >= 0:
        text += "\n" + old[i:]
open(out, "w").write(text)
EOF
cat "$OUT"
