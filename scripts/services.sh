#!/usr/bin/env bash
# Runs the project's services as local processes (one per deployment, as on Kubernetes).
# Usage: services.sh start|stop|status [service ...]   (default: all)
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"

ALL=(orchestrator agent-analyzer agent-proposer agent-critic agent-evaluator recorder gateway)
# KUNLUN_MODE=all-in-one: every one of them in a single process (services/all-in-one), each still
# polling its own task queue; its probes and prom-client metrics on the recorder's port, the API on
# the gateway's, the Temporal SDK's metrics on the orchestrator's.
if [ "${KUNLUN_MODE:-}" = all-in-one ]; then ALL=(all-in-one); fi
# Our prom-client /metrics per service (the gateway serves its own on the API port), and the
# Temporal SDK's temporal_* metrics of each worker on a second port (docs/metrics.md).
declare -A METRICS_PORTS=([orchestrator]=9401 [agent-analyzer]=9402 [agent-proposer]=9403 [agent-critic]=9404 [agent-evaluator]=9405 [recorder]=9406 [all-in-one]=9406)
declare -A SDK_METRICS_PORTS=([orchestrator]=9411 [agent-analyzer]=9412 [agent-proposer]=9413 [agent-critic]=9414 [agent-evaluator]=9415 [all-in-one]=9411)
GATEWAY_PORT="${GATEWAY_PORT:-8080}"
# The local demo's credential (tenant "demo", admin); set API_KEYS / JWT_SECRET for anything else.
KUNLUN_DEMO_KEY="${KUNLUN_DEMO_KEY:-demo-key-local-only-0000}"
GATEWAY_API_KEYS="${API_KEYS:-$KUNLUN_DEMO_KEY=demo:admin}"

action=${1:-}; shift || true
names=("$@"); [ ${#names[@]} -gt 0 ] || { names=("${ALL[@]}"); every=1; }

start_one() {
  local name=$1 log="$LOG_DIR/$1.log" i
  if is_running "$name"; then log "$name already running (pid $(pid_of "$name"))"; return 0; fi
  [ -f "$REPO_ROOT/services/$name/src/main.ts" ] || die "unknown service $name"
  : >"$log"
  (cd "$REPO_ROOT" && METRICS_PORT="${METRICS_PORTS[$name]:-0}" TEMPORAL_SDK_METRICS_PORT="${SDK_METRICS_PORTS[$name]:-0}" TEMPORAL_ADDRESS="$KUNLUN_BIND_HOST:$TEMPORAL_PORT" \
    KAFKA_BROKERS="$KUNLUN_BIND_HOST:$KAFKA_PORT" REDIS_URL="redis://$KUNLUN_BIND_HOST:$REDIS_PORT" \
    PORT="$GATEWAY_PORT" HOST="$KUNLUN_BIND_HOST" API_KEYS="$GATEWAY_API_KEYS" \
    BLOB_STORE=s3 BLOB_S3_ENDPOINT="http://$KUNLUN_BIND_HOST:$BLOBS_PORT" BLOB_S3_BUCKET="$BLOBS_BUCKET" \
    BLOB_S3_REGION="$BLOBS_REGION" BLOB_S3_ACCESS_KEY_ID="$BLOBS_ACCESS_KEY" BLOB_S3_SECRET_ACCESS_KEY="$BLOBS_SECRET_KEY" \
    start_bg "$name" node --import tsx "services/$name/src/main.ts")
  for ((i = 0; i < 240; i++)); do
    grep -q '"ready":true' "$log" 2>/dev/null && { log "$name running (pid $(pid_of "$name"), metrics :${METRICS_PORTS[$name]:-$GATEWAY_PORT}${SDK_METRICS_PORTS[$name]:+, sdk metrics :${SDK_METRICS_PORTS[$name]}})"; return 0; }
    is_running "$name" || die "$name exited during start-up: $(tail -3 "$log")"
    sleep 0.5
  done
  die "$name not ready after 120s (see $log)"
}

case "$action" in
  start)
    pids=(); rc=0
    for n in "${names[@]}"; do start_one "$n" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    exit $rc
    ;;
  # Whichever mode started them: stop both layouts.
  stop)
    [ -n "${every:-}" ] && names=(orchestrator agent-analyzer agent-proposer agent-critic agent-evaluator recorder gateway all-in-one)
    for n in "${names[@]}"; do stop_pid "$n"; done ;;
  status)
    for n in "${names[@]}"; do
      if is_running "$n"; then echo "$n: up (pid $(pid_of "$n"))"; else echo "$n: down"; fi
    done
    ;;
  *) die "usage: $0 start|stop|status [service ...]" ;;
esac
