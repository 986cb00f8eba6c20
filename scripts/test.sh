#!/usr/bin/env bash
# The test command: brings the shared local stack up (no-op when it is already up)
# and runs every *.test.ts with node's test runner, then the recorder's and the gateway's
# read-model files again against a Redis Cluster (scripts/test-redis-cluster.sh). Pass file paths
# to run a subset (on a single Redis only).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# .ci/run has just run setup itself; everyone else gets it here (a no-op when up to date).
[ "${KUNLUN_SETUP_DONE:-}" = 1 ] || bash scripts/setup.sh >&2
bash scripts/stack/stack.sh up

# One file at a time: the files share one stack on a 2-core machine.
run() { node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@"; }

if [ $# -gt 0 ]; then run "$@"; exit; fi
mapfile -t files < <(find packages services scripts bench -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
[ ${#files[@]} -gt 0 ] || { echo "no test files found" >&2; exit 1; }
rc=0
run "${files[@]}" || rc=$?
echo "[test] the recorder's and the gateway's read-model tests against a 3-primary Redis Cluster" >&2
KUNLUN_STACK_UP=1 bash scripts/test-redis-cluster.sh || rc=$?
exit $rc
