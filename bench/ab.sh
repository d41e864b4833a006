#!/usr/bin/env bash
# bench/ab.sh OLD_BINARY NEW_BINARY: before/after comparison of two openfront
# builds on the hit path, in one run (the figures a change's note reports).
# Both serve the same origin (bench/origin) on CPU $SERVER_CPU (default 1);
# wrk runs on CPU $CLIENT_CPU (default 0). For each round, build and object
# size (1 MiB, 1 KiB), wrk -c16 for $DURATION (4s) after two warming
# requests; server CPU per request is the process's utime+stime over the
# run divided by the requests wrk completed. Rounds alternate the builds so
# that a noisy machine affects both alike. OLD_MODE and NEW_MODE (default
# cached; see bench/mkdist.py) set each build's distribution: the same
# binary twice with NEW_MODE=security-headers measures what a response
# headers policy costs a hit. CONNS (16) sets wrk's connections, OBJECTS
# ("hit1m hit1k") the objects measured; p50 and p99 are wrk's latencies, load the
# load average after the run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
declare -A BIN=([old]=$(realpath "$1") [new]=$(realpath "$2"))
ROUNDS=${ROUNDS:-3} CONNS=${CONNS:-16} OBJECTS=${OBJECTS:-hit1m hit1k} DURATION=${DURATION:-4s} SERVER_CPU=${SERVER_CPU:-1} CLIENT_CPU=${CLIENT_CPU:-0}
command -v wrk >/dev/null || { echo "bench/ab.sh needs wrk (Debian package wrk)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/openfront-ab.XXXXXX)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export OPENFRONT_ACCESS_KEY_ID=AKIAOPENFRONTBENCH01 OPENFRONT_SECRET_ACCESS_KEY=benchSecretKey/OpenFront+Bench0123456789
go build -o "$WORK/origin" ./bench/origin
OPORT=$(free_port)
taskset -c "$CLIENT_CPU" "$WORK/origin" -addr "127.0.0.1:$OPORT" >"$WORK/origin.log" 2>&1 &
PIDS+=($!)
declare -A API EDGE PID HOST
for v in old new; do
  API[$v]=$(free_port) EDGE[$v]=$(free_port)
  taskset -c "$SERVER_CPU" "${BIN[$v]}" serve --api-addr "127.0.0.1:${API[$v]}" --edge-addr "127.0.0.1:${EDGE[$v]}" \
    --edge-tls-addr "" --rtmp-addr "" --data-dir "$WORK/data-$v" --cache-memory-bytes $((1 << 30)) \
    --log-level warn >"$WORK/$v.log" 2>&1 &
  PID[$v]=$!
  PIDS+=("${PID[$v]}")
done
for v in old new; do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:${API[$v]}/healthz" && break; sleep 0.1; done
  mode=OLD_MODE; [ "$v" = new ] && mode=NEW_MODE
  HOST[$v]=$(python3 bench/mkdist.py "http://127.0.0.1:${API[$v]}" "$OPORT" "${!mode:-cached}")
done
echo "| round | build | object | req/s | server CPU us/req | p50 | p99 | load |"
echo "|---|---|---|---|---|---|---|---|"
for i in $(seq "$ROUNDS"); do
  for v in old new; do
    for name in $OBJECTS; do
      case $name in hit1m) obj="hit1m?size=1048576" ;; hit1k) obj="hit1k?size=1024" ;; *) obj="$name" ;; esac
      url="http://127.0.0.1:${EDGE[$v]}/obj/$obj"
      curl -sf -o /dev/null -H "Host: ${HOST[$v]}" "$url"
      curl -sf -o /dev/null -H "Host: ${HOST[$v]}" "$url"
      t0=$(awk '{print $14+$15}' "/proc/${PID[$v]}/stat")
      out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "Host: ${HOST[$v]}" "$url")
      t1=$(awk '{print $14+$15}' "/proc/${PID[$v]}/stat")
      n=$(awk '/requests in/ {print $1}' <<<"$out")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      hz=$(getconf CLK_TCK)
      p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      echo "| $i | $v | ${obj%%\?*} | $rps | $(python3 -c "print(round(($t1-$t0)*1e6/$hz/$n,2))") | $p50 | $p99 | $(cut -d" " -f1 /proc/loadavg) |"
    done
  done
done
