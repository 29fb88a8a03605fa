#!/usr/bin/env bash
# bench/run.sh on bench/bench-lambda.yaml: Sluice in front of the Lambda Invoke API emulator
# (test credentials, signatures not checked by the emulator). Arguments as bench/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tools=$root/bench/jmh/target/benchmarks.jar
[ -f "$tools" ] || (cd "$root" && mvn -q -B -DskipTests package)
java -Xmx256m -cp "$tools" io.sluice.bench.LambdaEmulatorMain 18092 >/tmp/sluice-lambda-emulator.out 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null || true' EXIT
sleep 2
AWS_ACCESS_KEY_ID=AKIDSLUICETESTKEY0001 AWS_SECRET_ACCESS_KEY=sluice-test-secret-key-do-not-use-anywhere \
  CONFIG="$here/bench-lambda.yaml" "$here/run.sh" "$@"
