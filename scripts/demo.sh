#!/usr/bin/env bash
# The run command: installs what is missing, brings up the stack and every service, starts a
# demo simulation through the gateway and prints each round as it completes.
# Options: --rounds N, --issue "…"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=5
issue="Should a city make public transit free at the point of use, funded by congestion charges on private cars?"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --issue) issue=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--issue TEXT]" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh >&2
bash scripts/stack/stack.sh up
bash scripts/services.sh start

export KUNLUN_URL="http://127.0.0.1:${GATEWAY_PORT:-8080}"
export KUNLUN_TOKEN="${KUNLUN_DEMO_KEY:-demo-key-local-only-0000}"
kunlun() { node packages/cli/bin/kunlun.js "$@"; }

id=$(kunlun start --issue "$issue" --rounds "$rounds" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).simulationId))')
cat <<MSG

  Web page:        $KUNLUN_URL/   (API key: $KUNLUN_TOKEN)
  API docs:        $KUNLUN_URL/docs
  Temporal Web UI: http://127.0.0.1:${TEMPORAL_UI_PORT:-8233}/namespaces/default/workflows/demo~$id   (Temporal holds tenant demo's $id as demo~$id)

Simulation $id — $issue

MSG
kunlun watch "$id"
echo
kunlun result "$id"
cat >&2 <<MSG

Services keep running (logs in .stack/logs/). Steer with: KUNLUN_URL=$KUNLUN_URL KUNLUN_TOKEN=$KUNLUN_TOKEN node packages/cli/bin/kunlun.js --help
Stop everything with: bash scripts/services.sh stop && pnpm stack:down
MSG
