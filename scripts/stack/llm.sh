#!/usr/bin/env bash
# An OpenAI-compatible server for the openai provider: LiteLLM's proxy (litellm[proxy] from PyPI,
# in a virtualenv cached under $KUNLUN_CACHE_DIR) serving the mock models of litellm/config.yaml
# (no network; streaming and usage as OpenAI sends them). Every call is logged to
# $KUNLUN_STACK_DIR/llm-calls.jsonl, so tests count model calls at the proxy.
# install (venv + pip), start, stop, status.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=llm
ENDPOINT="http://$KUNLUN_BIND_HOST:$LLM_PORT"
CALL_LOG="$KUNLUN_STACK_DIR/llm-calls.jsonl"

installed() { [ -x "$LITELLM_VENV/bin/litellm" ] && "$LITELLM_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('litellm') != '$LITELLM_VERSION')" 2>/dev/null; }

install() {
  installed && return 0
  command -v python3 >/dev/null || die "python3 (>= 3.9) is required for LiteLLM's proxy"
  log "installing litellm[proxy]==$LITELLM_VERSION into $LITELLM_VENV (first time: a minute or two)"
  rm -rf "$LITELLM_VENV"
  python3 -m venv "$LITELLM_VENV"
  "$LITELLM_VENV/bin/pip" install --quiet --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION" \
    || die "pip install litellm[proxy]==$LITELLM_VERSION failed"
  installed || die "litellm $LITELLM_VERSION is not in $LITELLM_VENV after install"
}

healthy() { curl -fsS -o /dev/null --max-time 5 "$ENDPOINT/health/liveliness" 2>/dev/null; }

start() {
  install
  if is_running "$NAME"; then log "llm proxy already running (pid $(pid_of $NAME))"; return 0; fi
  port_open "$KUNLUN_BIND_HOST" "$LLM_PORT" && die "port $LLM_PORT is taken by a process this stack did not start"
  log "starting LiteLLM's proxy on $ENDPOINT"
  # The model cost map is read from the package (the default fetches it from the internet);
  # the config's directory is the working directory, so its callbacks module is found.
  (cd "$STACK_ROOT/litellm" && LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False \
    LITELLM_MASTER_KEY="$LLM_MASTER_KEY" KUNLUN_LLM_CALL_LOG="$CALL_LOG" \
    start_bg "$NAME" "$LITELLM_VENV/bin/litellm" --config config.yaml --host "$KUNLUN_BIND_HOST" --port "$LLM_PORT" --num_workers 1)
  local i
  for ((i = 0; i < 240; i++)); do
    healthy && { log "llm proxy ready"; return 0; }
    is_running "$NAME" || die "LiteLLM's proxy exited during start-up (see $LOG_DIR/$NAME.log)"
    sleep 0.5
  done
  die "LiteLLM's proxy did not answer $ENDPOINT within 120s (see $LOG_DIR/$NAME.log)"
}

status() {
  if is_running "$NAME" && healthy; then
    echo "llm: up (pid $(pid_of $NAME), $ENDPOINT/v1, key $LLM_MASTER_KEY, calls logged to $CALL_LOG)"
  else
    echo "llm: down"; return 1
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pid "$NAME" ;;
  status) status ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
