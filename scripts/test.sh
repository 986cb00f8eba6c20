#!/usr/bin/env bash
# The test command: brings the shared local stack up (no-op when it is already up)
# and runs every *.test.ts with node's test runner. Pass file paths to run a subset.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# .ci/run has just run setup itself; everyone else gets it here (a no-op when up to date).
[ "${KUNLUN_SETUP_DONE:-}" = 1 ] || bash scripts/setup.sh >&2
bash scripts/stack/stack.sh up

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find packages services scripts bench -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "no test files found" >&2; exit 1; }

# One file at a time: the files share one stack on a 2-core machine.
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
