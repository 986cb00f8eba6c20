#!/usr/bin/env bash
# The fault matrix (see scripts/fault-matrix/matrix.ts): kill -9 and restart each component while
# simulations run; prints fault × runs × rounds lost/doubled. Stop scripts/services.sh first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/stack/stack.sh up >&2
exec node --import tsx scripts/fault-matrix/run.ts "$@"
