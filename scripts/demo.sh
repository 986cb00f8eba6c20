#!/usr/bin/env bash
# The run command: installs what is missing, brings up the stack and every service,
# then runs a demo simulation in the terminal, printing each round as it completes.
# Extra arguments go to the demo (e.g. --rounds 3 --issue "…").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >&2
bash scripts/stack/stack.sh up
bash scripts/services.sh start
node --import tsx scripts/demo.ts "$@"
cat >&2 <<MSG

Services keep running: Temporal Web UI at http://127.0.0.1:${TEMPORAL_UI_PORT:-8233}, logs in .stack/logs/.
Stop everything with: bash scripts/services.sh stop && pnpm stack:down
MSG
