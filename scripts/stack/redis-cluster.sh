#!/usr/bin/env bash
# A 3-primary Redis Cluster from Debian's redis-server (the same package as redis.sh): install,
# start, stop, status. Like the single Redis it keeps no data on disk; each node keeps only its
# cluster config (nodes.conf: who owns which slots), so a node that restarts rejoins empty.
# Ports: REDIS_CLUSTER_PORTS (comma-separated), bus ports REDIS_CLUSTER_BUS_PORTS (default +10000).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IFS=, read -r -a PORTS <<<"$REDIS_CLUSTER_PORTS"
if [ -n "$REDIS_CLUSTER_BUS_PORTS" ]; then IFS=, read -r -a BUS_PORTS <<<"$REDIS_CLUSTER_BUS_PORTS"; else
  BUS_PORTS=()
  for p in "${PORTS[@]}"; do BUS_PORTS+=($((p + 10000))); done
fi
[ ${#PORTS[@]} -ge 3 ] || die "REDIS_CLUSTER_PORTS needs 3 ports at least (a cluster of fewer primaries is refused), got: $REDIS_CLUSTER_PORTS"
[ ${#BUS_PORTS[@]} -eq ${#PORTS[@]} ] || die "REDIS_CLUSTER_BUS_PORTS must name one bus port per node"

node_name() { echo "redis-cluster-$1"; }
cli() { local port=$1; shift; redis-cli -h "$KUNLUN_BIND_HOST" -p "$port" "$@"; }
info_field() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

install() { bash "$STACK_ROOT/redis.sh" install; }

start_node() {
  local port=$1 bus=$2 name dir
  name=$(node_name "$port")
  if is_running "$name"; then return 0; fi
  port_open "$KUNLUN_BIND_HOST" "$port" && die "port $port is taken by a process this stack did not start"
  dir="$KUNLUN_STACK_DIR/redis-cluster/$port"
  mkdir -p "$dir"
  start_bg "$name" redis-server --bind "$KUNLUN_BIND_HOST" --port "$port" --cluster-port "$bus" \
    --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 5000 \
    --dir "$dir" --save "" --appendonly no --daemonize no --protected-mode yes
}

# Every node sees all slots served (a node that has not caught up answers CLUSTERDOWN).
wait_cluster_ok() {
  local i p ok
  for ((i = 0; i < 240; i++)); do
    ok=1
    for p in "${PORTS[@]}"; do [ "$(info_field "$p" cluster_state)" = ok ] || ok=0; done
    [ $ok = 1 ] && return 0
    sleep 0.25
  done
  die "redis cluster on ${PORTS[*]} not ok within 60s (see $LOG_DIR/redis-cluster-*.log; 'stop' and remove $KUNLUN_STACK_DIR/redis-cluster to start afresh)"
}

start() {
  install
  local i p fresh=1
  for i in "${!PORTS[@]}"; do start_node "${PORTS[$i]}" "${BUS_PORTS[$i]}"; done
  for p in "${PORTS[@]}"; do wait_port "$KUNLUN_BIND_HOST" "$p" 30 "$(node_name "$p")"; done
  # First start: every node alone and without slots. Later starts: nodes.conf brings the cluster back.
  for p in "${PORTS[@]}"; do
    [ "$(info_field "$p" cluster_known_nodes)" = 1 ] && [ "$(info_field "$p" cluster_slots_assigned)" = 0 ] || fresh=0
  done
  if [ $fresh = 1 ]; then
    log "creating the redis cluster on ${PORTS[*]}"
    local addrs=()
    for p in "${PORTS[@]}"; do addrs+=("$KUNLUN_BIND_HOST:$p"); done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >>"$LOG_DIR/redis-cluster-create.log" 2>&1 \
      || die "redis-cli --cluster create failed (see $LOG_DIR/redis-cluster-create.log)"
  fi
  wait_cluster_ok
  log "redis cluster ready on $KUNLUN_BIND_HOST:${PORTS[*]}"
}

stop() {
  local p
  for p in "${PORTS[@]}"; do stop_pid "$(node_name "$p")"; done
}

status() {
  local p rc=0
  for p in "${PORTS[@]}"; do is_running "$(node_name "$p")" || rc=1; done
  if [ $rc = 0 ] && [ "$(info_field "${PORTS[0]}" cluster_state)" = ok ]; then
    echo "redis-cluster: up ($KUNLUN_BIND_HOST:${PORTS[*]}, $(info_field "${PORTS[0]}" cluster_size) primaries)"
  else
    echo "redis-cluster: down"; return 1
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
