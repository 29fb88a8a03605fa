#!/usr/bin/env bash
# The latency the edge-to-core hop adds: the same plain proxy route (bench/bench-tiers.yaml) as one
# standalone gateway, then as an edge in front of a core, both in front of nginx on 127.0.0.1:18090.
# For each: wrk with one connection (latency without queueing), autocannon at a fixed rate
# (latency under load), wrk with 32 connections (throughput). Each gateway gets 2 event loops; on
# the 2-core reference machine the edge and the core share the cores, as they would not in
# production, so the tiered throughput is a floor.
#
# Usage: bench/tiers.sh [seconds]      Env: WARMUP=40  RATE=4000  JAR=path/to/sluice.jar
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
secs=${1:-15}; warm=${WARMUP:-40}; rate=${RATE:-4000}
jar=${JAR:-$root/gateway/target/sluice.jar}
need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk; need nginx nginx
command -v autocannon >/dev/null 2>&1 || npm install -g autocannon@8 >/dev/null 2>&1
[ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package)
curl -s -o /dev/null http://127.0.0.1:18090/ 2>/dev/null || nginx -c "$here/nginx-backend.conf" -g 'daemon on;'

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
export SLUICE_TIER_KEY=${SLUICE_TIER_KEY:-bench-tier-key-0123456789abcdef0123456789}
gateway() { # role port admin-port
  SLUICE_ROLE=$1 BENCH_PORT=$2 BENCH_ADMIN_PORT=$3 java -Xms512m -Xmx512m -XX:+UseParallelGC \
    -jar "$jar" run --config "$here/bench-tiers.yaml" --instances 2 >"/tmp/sluice-tiers-$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$3/readyz" && break; sleep 0.2; done
}
measure() { # label
  local url=http://127.0.0.1:18100/hello
  for _ in $(seq 1 50); do [ "$(curl -s -o /dev/null -w '%{http_code}' $url)" = 200 ] && break; sleep 0.2; done
  echo "== $1: warm-up ${warm}s"
  wrk -t1 -c32 -d"${warm}s" "$url" >/dev/null
  echo "-- one connection (wrk -c1):"
  wrk -t1 -c1 -d"${secs}s" --latency "$url" | grep -E '^\s+(50|90|99)%|Requests/sec'
  echo "-- fixed rate ${rate} req/s, 32 connections (autocannon):"
  autocannon -c 32 -d "$secs" -R "$rate" "$url" 2>&1 | grep -E 'Stat|Latency' | head -2
  echo "-- 32 connections, as fast as it goes (wrk -c32):"
  wrk -t1 -c32 -d"${secs}s" --latency "$url" | grep -E '^\s+(50|99)%|Requests/sec'
}

gateway standalone 18100 18101
measure standalone
cleanup; pids=(); sleep 1
gateway core 18102 18103
gateway edge 18100 18101
measure "edge -> core"
