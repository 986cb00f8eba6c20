#!/usr/bin/env bash
# Temporal dev server: install (go install, cached in the Go caches under $HOME), start, stop, status.
# Usage: temporal.sh install|start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=temporal
DATA_DIR="$KUNLUN_STACK_DIR/temporal"
DB_FILE="$DATA_DIR/temporal.sqlite"
# The workflow tests' own namespace (services/orchestrator/src/testing/stub-activities.ts), so their
# workers never share a task queue with other tests; it needs the same search attributes.
TEMPORAL_TEST_NAMESPACE="${TEMPORAL_TEST_NAMESPACE:-kunlun-workflow-tests}"

# A `go install` build reports 0.0.0-DEV from --version; the module version is in the build info.
installed_version() { [ -x "$TEMPORAL_BIN" ] && go version -m "$TEMPORAL_BIN" 2>/dev/null | awk '$1 == "mod" { sub(/^v/, "", $3); print $3 }' || true; }

install() {
  if [ "$(installed_version)" = "$TEMPORAL_CLI_VERSION" ]; then return 0; fi
  command -v go >/dev/null || die "Go is required to build the Temporal CLI (needs Go >= 1.25)"
  log "building Temporal CLI v$TEMPORAL_CLI_VERSION with go install (first time: several minutes)"
  GOFLAGS="${GOFLAGS:--buildvcs=false}" go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION"
  [ "$(installed_version)" = "$TEMPORAL_CLI_VERSION" ] || die "temporal CLI at $TEMPORAL_BIN is not v$TEMPORAL_CLI_VERSION after install"
}

# Idempotent: creates the test namespace if missing and registers its search attributes (existing ones are kept).
ensure_test_namespace() {
  local addr="$KUNLUN_BIND_HOST:$TEMPORAL_PORT" ns="$TEMPORAL_TEST_NAMESPACE" sa=() a i
  "$TEMPORAL_BIN" operator namespace describe --address "$addr" -n "$ns" >/dev/null 2>&1 \
    || "$TEMPORAL_BIN" operator namespace create --address "$addr" -n "$ns" >/dev/null \
    || die "creating temporal namespace $ns failed"
  for a in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do sa+=(--name "${a%%=*}" --type "${a#*=}"); done
  # A namespace just created is served once the frontend's namespace cache refreshes (~10 s).
  for ((i = 0; i < 120; i++)); do
    "$TEMPORAL_BIN" operator search-attribute create --address "$addr" -n "$ns" "${sa[@]}" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "registering the search attributes of temporal namespace $ns failed"
}

start() {
  install
  if is_running "$NAME"; then log "temporal already running (pid $(pid_of $NAME))"; ensure_test_namespace; return 0; fi
  port_open "$KUNLUN_BIND_HOST" "$TEMPORAL_PORT" && die "port $TEMPORAL_PORT is taken by a process this stack did not start"
  mkdir -p "$DATA_DIR"
  local sa=() a
  for a in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do sa+=(--search-attribute "$a"); done
  [ "$TEMPORAL_HEADLESS" = true ] && sa+=(--headless)
  log "starting temporal dev server on $KUNLUN_BIND_HOST:$TEMPORAL_PORT (ui $TEMPORAL_UI_PORT, db $DB_FILE)"
  # WAL + synchronous=OFF: file persistence that keeps up with load (Temporal's own TS stress setup).
  start_bg "$NAME" "$TEMPORAL_BIN" server start-dev \
    --ip "$KUNLUN_BIND_HOST" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --metrics-port "$TEMPORAL_METRICS_PORT" --namespace "$TEMPORAL_NAMESPACE" --namespace "$TEMPORAL_TEST_NAMESPACE" \
    --db-filename "$DB_FILE" --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=OFF \
    --log-level warn "${sa[@]}"
  wait_port "$KUNLUN_BIND_HOST" "$TEMPORAL_PORT" 120 "$NAME"
  # The frontend port opens before the namespace is served; wait until it answers.
  local i
  for ((i = 0; i < 240; i++)); do
    "$TEMPORAL_BIN" operator namespace describe --address "$KUNLUN_BIND_HOST:$TEMPORAL_PORT" -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1 && { log "temporal ready"; ensure_test_namespace; return 0; }
    is_running "$NAME" || die "temporal exited during start-up (see $LOG_DIR/$NAME.log)"
    sleep 0.5
  done
  die "temporal namespace $TEMPORAL_NAMESPACE not ready after 120s (see $LOG_DIR/$NAME.log)"
}

status() {
  if is_running "$NAME" && "$TEMPORAL_BIN" operator cluster health --address "$KUNLUN_BIND_HOST:$TEMPORAL_PORT" >/dev/null 2>&1; then
    echo "temporal: up (pid $(pid_of $NAME), $KUNLUN_BIND_HOST:$TEMPORAL_PORT, ui http://$KUNLUN_BIND_HOST:$TEMPORAL_UI_PORT)"
  else
    echo "temporal: down"; return 1
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pid "$NAME" ;;
  status) status ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
