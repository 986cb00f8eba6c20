#!/usr/bin/env bash
# The run command: installs what is missing, brings up the stack and every service, starts a
# demo simulation through the gateway and prints each round as it completes.
# Options: --rounds N, --issue "…"
# With LLM_BASE_URL set (and LLM_API_KEY, LLM_MODEL for a real provider), the agents run on the
# openai provider; LLM_BASE_URL=http://127.0.0.1:4000/v1 is the stack's LiteLLM proxy (mock models,
# one per role), whose answers stream into `kunlun watch`.
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

llm_args=()
if [ -n "${LLM_BASE_URL:-}" ]; then
  export LLM_BASE_URL
  llm_args=(--provider openai)
  if [[ "$LLM_BASE_URL" == "http://127.0.0.1:${LLM_PORT:-4000}/v1" ]]; then
    export LLM_API_KEY="${LLM_API_KEY:-sk-kunlun-local}"
    # The mock models priced like gpt-4o-mini, so the demo's spend lines mean something.
    mini='{"prompt": 0.15, "completion": 0.6}'
    export LLM_PRICES="${LLM_PRICES:-{\"kunlun-analyzer\": $mini, \"kunlun-proposer\": $mini, \"kunlun-critic\": $mini, \"kunlun-evaluator\": $mini}}"
    for role in analyzer proposer critic evaluator; do llm_args+=(--model "$role=kunlun-$role"); done
  fi
  [ -z "${LLM_API_KEY:-}" ] || export LLM_API_KEY
  [ -z "${LLM_MODEL:-}" ] || export LLM_MODEL
fi
bash scripts/services.sh start

export KUNLUN_URL="http://127.0.0.1:${GATEWAY_PORT:-8080}"
export KUNLUN_TOKEN="${KUNLUN_DEMO_KEY:-demo-key-local-only-0000}"
kunlun() { node packages/cli/bin/kunlun.js "$@"; }

id=$(kunlun start --issue "$issue" --rounds "$rounds" ${llm_args[@]+"${llm_args[@]}"} --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).simulationId))')
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
