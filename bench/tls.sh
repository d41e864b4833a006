#!/usr/bin/env bash
# bench/tls.sh: OpenFront against nginx on HTTPS and the miss path, same
# origin, same clients, same run. Four measurements:
#
#   h1tls      1 KiB hits over HTTPS/1.1 keep-alive (wrk -c$CONNS)
#   h2         1 KiB hits over HTTP/2 (h2load -c$H2_CLIENTS -m$H2_STREAMS)
#   hs-full    TLS 1.3 handshakes, no resumption: new connection, one 1 KiB
#              hit, close (bench/client handshake)
#   hs-resume  the same with session resumption (tickets)
#   miss       filling $MISS_OBJECTS cold 1 KiB objects over plain HTTP
#              (bench/client warm -c16, a fresh set of paths per round,
#              into a freshly started OpenFront each round)
#
# Both servers use the same certificate: the ECDSA P-256 one OpenFront
# generates for *.<domain-suffix>; nginx gets it from OpenFront's data
# directory. TLS 1.3 only. The handshake client offers ECDHE on P-256
# only; wrk and h2load (OpenSSL) offer their default (X25519), which both
# servers take (it does not matter on keep-alive connections).
#
# Pinning as in bench/run.sh: servers on CPU $SERVER_CPU (OpenFront with
# GOMAXPROCS=1, nginx with one worker), clients and the origin on CPU
# $CLIENT_CPU. Server CPU per request is utime+stime over the run divided
# by the requests completed. Rounds alternate the targets; each cell of
# the summary is the median round.
#
# Knobs: DURATION (5s), ROUNDS (3), CONNS (64), H2_CLIENTS (16),
# H2_STREAMS (16), HS_N (3000), HS_C (8), MISS_OBJECTS (100000),
# TESTS ("h1tls h2 hs-full hs-resume miss"), OLD (path of an older
# openfront binary, measured as a third target "openfront-old" in the
# tests OLD_TESTS lists, default "h1tls miss"),
# OUT (bench/RESULTS.md: the section "HTTPS, HTTP/2, handshakes, misses"
# is replaced there; "-" prints it only).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/nginx.sh # write_nginx_conf: the nginx compared with
ROOT=$PWD
export PATH="$PATH:/usr/sbin:/sbin"

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
H2_CLIENTS=${H2_CLIENTS:-16}
H2_STREAMS=${H2_STREAMS:-16}
HS_N=${HS_N:-3000}
HS_C=${HS_C:-8}
MISS_OBJECTS=${MISS_OBJECTS:-100000}
TESTS=${TESTS:-h1tls h2 hs-full hs-resume miss}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
OUT=${OUT:-$ROOT/bench/RESULTS.md}

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench/tls.sh: %s\n' "$*" >&2; exit 1; }
for tool in nginx wrk h2load curl taskset go python3; do
  command -v "$tool" >/dev/null || die "needs $tool (Debian: nginx wrk nghttp2-client curl util-linux)"
done

WORK=$(mktemp -d /tmp/openfront-tlsbench.XXXXXX)
chmod 755 "$WORK"
# TMPFS (default /dev/shm): where the nginx-tmpfs target keeps its cache.
TMPFS=${TMPFS:-/dev/shm}
TMPFS_WORK=$TMPFS/openfront-tlsbench-${WORK##*.}
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$WORK" "$TMPFS_WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  local i
  for i in $(seq 1 100); do
    curl -sk -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  die "no answer from $1 after 10 s"
}

log "building openfront, origin, client"
go build -o "$WORK/openfront" ./cmd/openfront
go build -o "$WORK/origin" ./bench/origin
go build -o "$WORK/client" ./bench/client
CLIENT=(taskset -c "$CLIENT_CPU" "$WORK/client")

P_ORIGIN=$(free_port)
taskset -c "$CLIENT_CPU" "$WORK/origin" -addr "127.0.0.1:$P_ORIGIN" >"$WORK/origin.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$P_ORIGIN/count"

export OPENFRONT_ACCESS_KEY_ID=AKIAOPENFRONTBENCH01
export OPENFRONT_SECRET_ACCESS_KEY=benchSecretKey/OpenFront+Bench0123456789
TARGETS=(openfront nginx nginx-tmpfs nginx-tmpfs-cf)
declare -A BIN=([openfront]="$WORK/openfront") HTTP HTTPS PID
if [ -n "${OLD:-}" ]; then
  BIN[openfront-old]=$(realpath "$OLD")
  TARGETS=(openfront openfront-old nginx nginx-tmpfs nginx-tmpfs-cf)
fi
DOMAIN=""
# start_openfront T BIN DATA: runs an OpenFront for target T (ports in
# HTTP[T], HTTPS[T], pid in PID[T]) with one distribution, HOST_T.
start_openfront() {
  local t=$1 bin=$2 data=$3 api i d
  api=$(free_port) HTTP[$t]=$(free_port) HTTPS[$t]=$(free_port)
  taskset -c "$SERVER_CPU" "$bin" serve --api-addr "127.0.0.1:$api" --edge-addr "127.0.0.1:${HTTP[$t]}" \
    --edge-tls-addr "127.0.0.1:${HTTPS[$t]}" --edge-quic-addr "" --rtmp-addr "" --data-dir "$data" \
    --cache-memory-bytes $((2 << 30)) --log-level warn >"$data.log" 2>&1 &
  PID[$t]=$!
  PIDS+=("${PID[$t]}")
  for i in $(seq 1 100); do
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$api/healthz" && break
    [ "$i" -eq 100 ] && die "$t not healthy after 10 s: $(cat "$data.log")"
    sleep 0.1
  done
  d=$(python3 bench/mkdist.py "http://127.0.0.1:$api" "$P_ORIGIN" cached)
  # nginx answers any Host; it gets the first OpenFront's.
  [ -z "$DOMAIN" ] && DOMAIN=$d
  declare -g "HOST_${t//-/_}=$d"
}
for t in "${TARGETS[@]}"; do
  [[ "$t" == nginx* ]] || start_openfront "$t" "${BIN[$t]}" "$WORK/data-$t"
done
host_of() { [[ "$1" == nginx* ]] && echo "$DOMAIN" || eval echo "\$HOST_${1//-/_}"; }

# start_nginx T DIR: runs an nginx for target T (ports in HTTP[T],
# HTTPS[T], pid in PID[T]) with its cache and files under DIR.
start_nginx() {
  local t=$1 dir=$2
  HTTP[$t]=$(free_port) HTTPS[$t]=$(free_port)
  write_nginx_conf "$dir" "$P_ORIGIN" "${HTTP[$t]}" "${HTTPS[$t]}" "$WORK/data-openfront/edge-cert.pem" "$WORK/data-openfront/edge-key.pem"
  taskset -c "$SERVER_CPU" nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/stdout.log" 2>&1 &
  PID[$t]=$!
  PIDS+=("${PID[$t]}")
  wait_http "http://127.0.0.1:${HTTP[$t]}/count"
}
log "nginx (ssl, http2, TLS 1.3, OpenFront's certificate)"
start_nginx nginx "$WORK/nginx"

idle_ticks() { # idle+iowait ticks of SERVER_CPU and CLIENT_CPU (/proc/stat)
  awk -v s="cpu$SERVER_CPU" -v c="cpu$CLIENT_CPU" '$1 == s {si = $5 + $6} $1 == c {ci = $5 + $6} END {print si, ci}' /proc/stat
}
cpu_ticks() { # utime+stime of target $1's processes
  local p sum=0 v pids=${PID[$1]:-}
  [ -n "$pids" ] || { echo 0; return; } # a miss target's server starts in run
  [[ "$1" == nginx* ]] && pids="$pids $(pgrep -P "${PID[$1]}" || true)"
  for p in $pids; do
    v=$(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')
    sum=$((sum + v))
  done
  echo "$sum"
}
HZ=$(getconf CLK_TCK)

HIT="/obj/hit1k?size=1024"
for t in "${TARGETS[@]}"; do # warm the hit object, checking both schemes answer
  [[ "$t" == nginx-tmpfs* ]] && continue
  h=$(host_of "$t")
  for _ in 1 2; do
    curl -sf -o /dev/null -H "Host: $h" "http://127.0.0.1:${HTTP[$t]}$HIT"
    curl -sfk -o /dev/null -H "Host: $h" "https://127.0.0.1:${HTTPS[$t]}$HIT"
  done
done

RES="$WORK/results.txt"
echo "load_before $(cut -d' ' -f1-3 /proc/loadavg)" >"$RES"
run() { # round test target
  local round=$1 test=$2 t=$3 h c0 c1 n secs out
  h=$(host_of "$t")
  c0=$(cpu_ticks "$t")
  case $test in
    h1tls)
      out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" -H "Host: $h" "https://127.0.0.1:${HTTPS[$t]}$HIT")
      n=$(awk '/requests in/ {print $1}' <<<"$out")
      secs=$(awk '/requests in/ {v=$4; sub(/,$/,"",v); if (v ~ /ms$/) {sub(/ms$/,"",v); v/=1000} else if (v ~ /m$/) {sub(/m$/,"",v); v*=60} else sub(/s$/,"",v); print v}' <<<"$out")
      grep -q "Non-2xx" <<<"$out" && die "wrk: non-2xx answers from $t: $out" ;;
    h2)
      # The host in the URI is the SNI (HTTP/2 needs it, as on CloudFront);
      # --connect-to (nghttp2 1.52 has no --sni) sends it to loopback.
      out=$(taskset -c "$CLIENT_CPU" h2load -c"$H2_CLIENTS" -m"$H2_STREAMS" -D"${DURATION%s}" -H ":authority: $h" \
        --connect-to="127.0.0.1:${HTTPS[$t]}" "https://$h:${HTTPS[$t]}$HIT" 2>&1)
      grep -q "Application protocol: h2" <<<"$out" || die "h2load did not speak h2 to $t: $out"
      n=$(awk '/^requests:/ {print $8}' <<<"$out")
      secs=$(awk '/^finished in/ {v=$3; sub(/,$/,"",v); if (v ~ /ms$/) {sub(/ms$/,"",v); v/=1000} else sub(/s$/,"",v); print v}' <<<"$out")
      [ "$(awk '/^requests:/ {print $10}' <<<"$out")" = 0 ] || die "h2load: failed requests against $t: $out"
      [ "$(awk '/^status codes:/ {print ($3 > 0) + $5 + $7 + $9}' <<<"$out")" = 1 ] || die "h2load: non-2xx answers from $t: $out" ;;
    hs-full|hs-resume)
      local flag=()
      [ "$test" = hs-resume ] && flag=(-resume)
      out=$("${CLIENT[@]}" handshake -addr "127.0.0.1:${HTTPS[$t]}" -host "$h" -path "$HIT" -n "$HS_N" -c "$HS_C" "${flag[@]}")
      n=$HS_N
      secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
      local resumed
      resumed=$(sed -n 's/.*resumed=\([0-9]*\).*/\1/p' <<<"$out")
      if [ "$test" = hs-resume ] && [ "$resumed" -lt $((HS_N * 9 / 10)) ]; then die "$t resumed only $resumed of $HS_N sessions"; fi
      if [ "$test" = hs-full ] && [ "$resumed" -ne 0 ]; then die "$t resumed $resumed sessions without a session cache"; fi ;;
    miss)
      local s0 s1
      # A fresh server per round for every target, each fill starting
      # from an empty cache: a cache that holds earlier rounds' objects
      # makes each miss cost more (OpenFront: GC marking, see the notes;
      # nginx: a fuller keys zone and cache directory). The previous
      # rounds' files are written out first (sync), so that their
      # writeback does not land in this fill's time.
      [ -n "${PID[$t-miss]:-}" ] && kill "${PID[$t-miss]}" && wait "${PID[$t-miss]}" 2>/dev/null || true
      rm -rf "$WORK/data-$t-miss$((round - 1))" "$WORK/$t-miss$((round - 1))"
      sync
      rm -rf "$TMPFS_WORK"
      if [ "$t" = nginx ]; then
        start_nginx "$t-miss" "$WORK/$t-miss$round"
      elif [ "$t" = nginx-tmpfs ]; then
        mkdir -p "$TMPFS_WORK"
        start_nginx "$t-miss" "$TMPFS_WORK/$round"
      elif [ "$t" = nginx-tmpfs-cf ]; then
        mkdir -p "$TMPFS_WORK"
        CLOUDFRONT_HEADERS=1 start_nginx "$t-miss" "$TMPFS_WORK/$round"
      else
        start_openfront "$t-miss" "${BIN[$t]}" "$WORK/data-$t-miss$round"
      fi
      t=$t-miss h=$(host_of "$t")
      c0=$(cpu_ticks "$t")
      i0=($(idle_ticks))
      s0=$(date +%s.%N)
      "${CLIENT[@]}" warm -addr "127.0.0.1:${HTTP[$t]}" -host "$h" -path "/obj/miss$round-%d?size=1024" -n "$MISS_OBJECTS" -c 16 -timeout 5m
      s1=$(date +%s.%N)
      i1=($(idle_ticks))
      # How idle each CPU stayed during the fill: a fill whose server CPU
      # and client CPU both idle is paced by neither (bench/FILL-RESULTS.md).
      idle="sidle=$((i1[0] - i0[0])) cidle=$((i1[1] - i0[1]))"
      n=$MISS_OBJECTS
      secs=$(awk -v a="$s0" -v b="$s1" 'BEGIN{print b-a}') ;;
  esac
  c1=$(cpu_ticks "$t")
  [ -n "${DEBUG:-}" ] && printf '%s\n' "$out" >&2
  echo "run round=$round test=$test target=${t%-miss} n=$n secs=$secs ticks=$((c1 - c0)) hz=$HZ ${idle:-}" >>"$RES"
  idle=
  log "round $round $test $t: $n in ${secs}s, $((c1 - c0)) ticks"
}
for round in $(seq 1 "$ROUNDS"); do
  for test in $TESTS; do
    # Alternate which target goes first from round to round.
    order=("${TARGETS[@]}")
    [ $((round % 2)) -eq 0 ] && order=($(printf '%s\n' "${TARGETS[@]}" | tac))
    for t in "${order[@]}"; do
      [ "$t" = openfront-old ] && [[ " ${OLD_TESTS:-h1tls miss} " != *" $test "* ]] && continue
      # nginx with its cache on tmpfs: the like-for-like peer of
      # OpenFront's memory tier, for fills only (hits come from memory
      # in both nginx setups); -cf: also sending CloudFront's headers.
      [[ "$t" == nginx-tmpfs* ]] && { [ "$test" != miss ] || [ ! -d "$TMPFS" ]; } && continue
      run "$round" "$test" "$t"
    done
  done
done
echo "load_after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES"

TMPFS="$TMPFS" BENCH_ARGS="DURATION=$DURATION ROUNDS=$ROUNDS CONNS=$CONNS H2=${H2_CLIENTS}x$H2_STREAMS HS=${HS_N}/${HS_C} MISS=$MISS_OBJECTS" \
  python3 - "$RES" "$OUT" <<'EOF'
import datetime, os, re, statistics, subprocess, sys
res, out = sys.argv[1], sys.argv[2]
runs, meta = [], {}
for line in open(res):
    kind, _, rest = line.rstrip("\n").partition(" ")
    if kind == "run":
        runs.append(dict(p.split("=", 1) for p in rest.split()))
    else:
        meta[kind] = rest
def rate(r): return int(r["n"]) / float(r["secs"])
def cpu(r): return int(r["ticks"]) * 1e6 / int(r["hz"]) / int(r["n"])
targets = list(dict.fromkeys(r["target"] for r in runs))
tests = list(dict.fromkeys(r["test"] for r in runs))
names = {"h1tls": "1 KiB hit, HTTPS/1.1 keep-alive", "h2": "1 KiB hit, HTTP/2",
         "hs-full": "TLS 1.3 handshake + 1 KiB hit, no resumption", "hs-resume": "TLS 1.3 handshake + 1 KiB hit, resumed",
         "miss": "cold 1 KiB fill (plain HTTP)"}
unit = {"h1tls": "req/s", "h2": "req/s", "hs-full": "conn/s", "hs-resume": "conn/s", "miss": "req/s"}
targets_cpu = {"h1tls": 0.7, "h2": 1.0}
def med(test, t, f):
    v = [f(r) for r in runs if r["test"] == test and r["target"] == t]
    return statistics.median(v) if v else float("nan")
hdr = "| measure | " + " | ".join(targets) + " | OpenFront/nginx | target | verdict |"
rows = [hdr, "|" + "---|" * (len(targets) + 4)]
for test in tests:
    for what, f in (("%s" % unit[test], rate), ("server CPU us/" + ("conn" if test.startswith("hs") else "req"), cpu)):
        v = {t: med(test, t, f) for t in targets}
        # Every ratio here is against nginx as bench/run.sh configures it
        # (issue #16's targets name that peer); fills add a row with the
        # ratio to each nginx setup.
        ratio = v["openfront"] / v["nginx"]
        goal, verdict = "", ""
        if f is cpu and test in targets_cpu:
            goal = "<= %.1fx" % targets_cpu[test]
            verdict = "PASS" if ratio <= targets_cpu[test] else "**FAIL**"
        if f is rate and test == "miss":
            goal, verdict = ">= 1.0x", "PASS" if ratio >= 1 else "**FAIL**"
        fmt = "%.0f" if f is rate else "%.1f"
        fmt_t = lambda x: "-" if x != x else fmt % x
        rows.append("| %s, %s | %s | %.2f | %s | %s |" % (names[test], what, " | ".join(fmt_t(v[t]) for t in targets), ratio, goal, verdict))
        if test == "miss":
            each = ", ".join("%s %.2f" % (t, v["openfront"] / v[t]) for t in targets if t.startswith("nginx") and v[t] == v[t])
            rows.append("| " + " | ".join(["%s, %s, OpenFront/each peer" % (names[test], what), each] + [""] * (len(targets) + 2)) + " |")
def idle(r, k):  # percent of the run a CPU was idle (fills only)
    return "%.0f" % (100 * int(r[k]) / int(r["hz"]) / float(r["secs"])) if k in r else ""
allr = ["| %s | %s | %s | %.0f | %.1f | %s | %s |" % (r["round"], r["test"], r["target"], rate(r), cpu(r), idle(r, "sidle"), idle(r, "cidle")) for r in runs]
def sh(c): return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
text = f"""## HTTPS, HTTP/2, handshakes, misses (bench/tls.sh)

Date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} · {sh('nproc')} CPUs, {sh('go version')}, {sh('nginx -v 2>&1')},
{sh('h2load --version | head -1')}, {sh('openssl version')}. Load average before/after: {meta.get('load_before')} / {meta.get('load_after')}
(other work on the machine moves req/s between rounds; the CPU-per-request rows are the fairer comparison).
Settings: {os.environ['BENCH_ARGS']}; each cell is the median of the rounds, targets alternated per round. Same certificate
(ECDSA P-256) for both servers, TLS 1.3 only; nginx `listen ssl http2`, session cache and tickets on.
`nginx-tmpfs` is the same nginx with its proxy_cache directory on tmpfs ({os.environ.get('TMPFS', '/dev/shm')}), measured
for fills only: OpenFront's memory tier is compared with nginx's cache in memory as well as on the disk
(bench/run.sh's setup, the peer of the OpenFront/nginx column and its verdict); the row below each fill row
gives the ratio to every setup. `nginx-tmpfs-cf` is
`nginx-tmpfs` sending the headers CloudFront sends, to the origin (User-Agent, Accept-Encoding,
X-Forwarded-For, Via, X-Amz-Cf-Id) and to the viewer (Via, X-Amz-Cf-Id, X-Amz-Cf-Pop, X-Cache), values
of the same lengths (bench/nginx.sh): the client and the origin share CPU 0 and pace a fill, and parse
fewer bytes from plain nginx than from a server that speaks CloudFront (bench/FILL-RESULTS.md).

""" + "\n".join(rows) + """

What the figures come from (perf record -e cpu-clock on the server, this session):
- HTTPS/1.1 hits are answered by internal/fastpath on the *tls.Conn (before: net/http behind a guarded
  listener, about 4x the CPU per hit; `openfront-old` above when OLD is given).
- HTTP/2 hits are answered by internal/fastpath's own HTTP/2 server on the connection's goroutine
  (frames read in batches, the stored head turned into HPACK without a dynamic table, every ready
  stream's HEADERS and DATA in one write; no allocation per hit). Before it, net/http's HTTP/2 server
  took about 4x nginx's CPU per hit: a goroutine per stream and another per HEADERS frame written,
  hpack, a flush and TLS record per frame.
- Misses: the share that grows with the cache is GC marking. internal/app's GC tuner keeps the heap
  headroom at max(16 MiB, 10% of live) for RSS; with 100,000 objects cached a cycle every 16 MiB
  allocated marks the whole cache, so each byte of garbage per miss counts: a connection's declined
  requests reuse their request, writer, exchange and header maps (about 2.9 KB allocated per miss,
  1.35 KB of it the stored object; 22 GC cycles per 100,000 fills). While the server's only P marks,
  the client and origin wait: CPU 0 idles 5-7% of an OpenFront fill and 1% of nginx's, which is
  why OpenFront's fill rate stays a little below the tmpfs nginx setups' although its CPU per miss
  is lower (bench/FILL-RESULTS.md). Misses to plain-HTTP origins go through
  internal/origin's own HTTP/1.1 client, run on the viewer's goroutine (no goroutine is started per
  miss; one write per request; net/http's Transport took two goroutine hand-offs and 54 allocations
  per fetch), and the fast path hands a declined request to the edge's handler without parsing it a
  second time. The miss path's socket calls bypass the scheduler's system call bookkeeping
  (internal/rawio), which kept the runtime's monitor thread polling. Per miss, the rest is syscalls
  (the loopback writes carry the receiver's TCP processing), and 14 allocations (a connection that
  just had a miss waits for its next request on its goroutine, not in the epoll loop, which saved
  the two hand-overs per miss between them); bench/FILL-RESULTS.md
  has the measurements. nginx keeps its cache in files: on this machine's disk, creating
  100,000 of them costs nginx's process far more kernel time per miss (inode and journal work) than
  on tmpfs, which is why `nginx-tmpfs` is measured too.
- Hits are measured on instances whose cache holds only the hit object; each miss round starts a
  fresh OpenFront and a fresh nginx with an empty cache directory, after a sync (a filled cache makes
  every later miss cost more: GC for OpenFront, a fuller keys zone and directories for nginx).
- Handshakes: not profiled this session (crypto/tls for OpenFront, OpenSSL for nginx).

<details><summary>All runs</summary>

| round | test | target | rate | server CPU us | server CPU idle % | client CPU idle % |
|---|---|---|---|---|---|---|
""" + "\n".join(allr) + "\n\n</details>\n"
print(text)
if out != "-":
    old = open(out).read() if os.path.exists(out) else ""
    start = old.find("## HTTPS, HTTP/2, handshakes, misses")
    if start >= 0:
        old = old[:start].rstrip("\n") + "\n"
    open(out, "w").write(old + ("\n" if old else "") + text)
EOF
