#!/usr/bin/env bash
# The AOT training run of the image build: starts Sluice on the demo routes with the JVM flags
# the image runs with, sends it the requests of the demo (proxied, mock, path template, 405,
# probes, metrics) so that the classes of the request path are loaded and linked and their
# methods profiled, then stops it with SIGTERM; the JVM writes the AOT cache as it exits.
# Usage: train.sh AOT_CACHE_FILE [JVM flags...]
# Env:   JAVA=java  SLUICE_JAR=/app/sluice.jar  ROUTES=/app/routes/demo.yaml (as in the image)
set -euo pipefail
out=$1; shift
"${JAVA:-java}" -XX:AOTCacheOutput="$out" "$@" -jar "${SLUICE_JAR:-/app/sluice.jar}" run \
  --config "${ROUTES:-/app/routes/demo.yaml}" --demo-backends --watch 0 &
pid=$!
req() { # port method path: one HTTP/1.1 exchange with bash's /dev/tcp (no curl in the image)
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" "$3" >&3
  cat <&3 >/dev/null
  exec 3<&-
}
for _ in $(seq 1 300); do req 8080 GET /hello 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 1 300); do
  req 8080 GET /hello; req 8080 GET '/echo/train?x=1'; req 8080 GET /orders/42
  req 8080 DELETE /hello; req 8080 GET /nowhere; req 9901 GET /readyz; req 9901 GET /healthz
done
req 9901 GET /metrics
kill -TERM "$pid"
wait "$pid"
test -s "$out"
