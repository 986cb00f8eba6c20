#!/usr/bin/env bash
# The fast layer: every *.unit.test.ts (pure logic, no Temporal, Kafka or Redis; seconds, not
# minutes). The README's test command (scripts/test.sh) runs these too, with everything else.
# Here they run in one process: loading tsx and the workspace once per file cost most of the time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(find packages services scripts bench -name '*.unit.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
[ ${#files[@]} -gt 0 ] || { echo "no unit test files found" >&2; exit 1; }
entry=$(mktemp -d)/unit-tests.ts
trap 'rm -rf "$(dirname "$entry")"' EXIT
for f in "${files[@]}"; do printf "import '%s';\n" "file://$PWD/$f"; done > "$entry"
# node:test runs the imported tests and sets a failing exit code when one fails.
node --import tsx --test-reporter=spec "$entry"
