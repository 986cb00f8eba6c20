#!/usr/bin/env bash
# Redis from Debian's redis-server: install (apt-get), start, stop, status.
# It keeps nothing on disk: the read model is rebuilt from Kafka, never from a Redis dump.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=redis

install() {
  command -v redis-server >/dev/null && return 0
  log "installing redis-server with apt-get"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  command -v redis-server >/dev/null || die "redis-server not found after apt-get install"
}

start() {
  install
  if is_running "$NAME"; then log "redis already running (pid $(pid_of $NAME))"; return 0; fi
  port_open "$KUNLUN_BIND_HOST" "$REDIS_PORT" && die "port $REDIS_PORT is taken by a process this stack did not start"
  mkdir -p "$KUNLUN_STACK_DIR/redis"
  log "starting redis on $KUNLUN_BIND_HOST:$REDIS_PORT"
  start_bg "$NAME" redis-server --bind "$KUNLUN_BIND_HOST" --port "$REDIS_PORT" \
    --dir "$KUNLUN_STACK_DIR/redis" --save "" --appendonly no --daemonize no --protected-mode yes
  wait_port "$KUNLUN_BIND_HOST" "$REDIS_PORT" 30 "$NAME"
  log "redis ready"
}

status() {
  if is_running "$NAME" && [ "$(redis-cli -h "$KUNLUN_BIND_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; then
    echo "redis: up (pid $(pid_of $NAME), $KUNLUN_BIND_HOST:$REDIS_PORT)"
  else
    echo "redis: down"; return 1
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pid "$NAME" ;;
  status) status ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
