#!/usr/bin/env bash
# The overload test: Sluice in front of a backend that turns 10x slower under a sustained,
# open-loop load, then recovers. Prints, per second and per phase, the 200s and 503s with their
# latencies, timeouts, requests in flight and the gateway's resident memory.
#
# Usage: bench/overload.sh            (bench/bench-overload.yaml: guards and load shedding)
#        CONFIG=bench/bench-overload-unguarded.yaml bench/overload.sh   (no protection)
# Env:   RATE=3000 (req/s)  WORKERS=64 (the backend's)  FAST_MS=5  FACTOR=10
#        PHASES=warm:20,base:20,slow:30,recover:30 (seconds; 'slow' is the slow one)  INSTANCES=2
# Needs: a built gateway/target/sluice.jar and bench/jmh/target/benchmarks.jar (mvn package).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar=$root/gateway/target/sluice.jar
tools=$root/bench/jmh/target/benchmarks.jar
[ -f "$jar" ] && [ -f "$tools" ] || (cd "$root" && mvn -q -B -DskipTests package)

config=${CONFIG:-$here/bench-overload.yaml}
java -Xms512m -Xmx512m -XX:+UseParallelGC ${JAVA_OPTS:-} -jar "$jar" run --config "$config" \
  --instances "${INSTANCES:-2}" >/tmp/sluice-overload.out 2>/tmp/sluice-overload.err &
gw=$!
trap 'kill $gw 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:18101/readyz && break; sleep 0.2; done

echo "config: $(basename "$config")"
java -Xmx512m -cp "$tools" -Dpid="$gw" -Drate="${RATE:-3000}" -Dworkers="${WORKERS:-64}" \
  -DfastMs="${FAST_MS:-5}" -Dfactor="${FACTOR:-10}" \
  -Dphases="${PHASES:-warm:20,base:20,slow:30,recover:30}" io.sluice.bench.Overload
echo "gateway metrics after the run:"
curl -s http://127.0.0.1:18101/metrics | grep -E '^sluice_(backend_shed_total|requests_shed_total|concurrency_limit|backend_circuit_state)' || true
