#!/usr/bin/env bash
# The fast layer: every *.unit.test.ts (pure logic, no Temporal, Kafka or Redis; seconds, not
# minutes). The README's test command (scripts/test.sh) runs these too, with everything else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(find packages services scripts bench -name '*.unit.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
[ ${#files[@]} -gt 0 ] || { echo "no unit test files found" >&2; exit 1; }
exec node --import tsx --test --test-reporter=spec "${files[@]}"
