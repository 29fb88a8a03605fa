#!/usr/bin/env bash
# Loads Sluice (bench/bench.yaml: plain proxying) in front of a fast loopback backend with wrk and
# reports throughput, latency and the gateway's CPU time per request.
#
# Usage: bench/run.sh [seconds] [connections]
# Env:   WARMUP=40 (s; the JIT needs ~40 s on 2 cores)  INSTANCES=2  BENCH_ACCESS_LOG=false
#        CONFIG=bench/bench-jwt.yaml (another route file)  HEADER="Name: value" (sent by wrk)
#        JAVA_OPTS="-D..." (more JVM options)  WRK_SCRIPT=bench/many-clients.lua (a wrk script)
#        JAR=path/to/sluice.jar (another build)
#        RATE=N: also measure latency at a fixed N req/s with autocannon (closed-loop wrk hides it)
# Needs: wrk and nginx (installed from Debian packages when missing), a built gateway/target/sluice.jar.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
secs=${1:-20}; conns=${2:-32}; warm=${WARMUP:-40}
jar=${JAR:-$root/gateway/target/sluice.jar}

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk; need nginx nginx
if [ -n "${RATE:-}" ] && ! command -v autocannon >/dev/null 2>&1; then npm install -g autocannon@8 >/dev/null 2>&1; fi
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package)

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f /tmp/sluice-bench-backend.pid ] && kill "$(cat /tmp/sluice-bench-backend.pid)" 2>/dev/null || true
}
trap cleanup EXIT

curl -s -o /dev/null http://127.0.0.1:18090/ 2>/dev/null || nginx -c "$here/nginx-backend.conf" -g 'daemon on;'
config=${CONFIG:-$here/bench.yaml}
hdr=(); [ -n "${HEADER:-}" ] && hdr=(-H "$HEADER")
wrkx=(); [ -n "${WRK_SCRIPT:-}" ] && wrkx=(-s "$WRK_SCRIPT")
java -Xms512m -Xmx512m -XX:+UseParallelGC ${JAVA_OPTS:-} -jar "$jar" run --config "$config" \
  --instances "${INSTANCES:-2}" >/tmp/sluice-bench.out 2>/tmp/sluice-bench.err &
gw=$!; pids+=($gw)
for _ in $(seq 1 100); do curl -s -o /dev/null "${hdr[@]}" http://127.0.0.1:18100/hello && break; sleep 0.2; done
status=$(curl -s -o /dev/null -w "%{http_code}" "${hdr[@]}" http://127.0.0.1:18100/hello)
[ "$status" = 200 ] || { echo "the gateway answers $status, not 200: check CONFIG and HEADER" >&2; exit 1; }
url=http://127.0.0.1:18100/hello

echo "warm-up ${warm}s ..."
wrk -t1 -c"$conns" -d"${warm}s" "${hdr[@]}" "${wrkx[@]}" "$url" >/dev/null

ticks() { awk '{print $14 + $15}' "/proc/$gw/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "${hdr[@]}" "${wrkx[@]}" "$url")
t1=$(ticks)
echo "$out"
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
cpu_us=$(echo "($t1 - $t0) * 1000000 / $hz / $reqs" | bc -l)
printf "gateway CPU per request: %.1f us (user+system over %s requests)\n" "$cpu_us" "$reqs"

if [ -n "${RATE:-}" ]; then
  echo "fixed rate ${RATE} req/s for ${secs}s (autocannon):"
  autocannon -c "$conns" -d "$secs" -R "$RATE" "$url" 2>&1 | sed -n '1,12p'
fi
