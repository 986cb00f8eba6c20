#!/usr/bin/env bash
# The whole local stack: Temporal dev server, Kafka (KRaft), Redis, a 3-primary Redis Cluster, the
# blob store (versitygw), an OpenAI-compatible LLM server (LiteLLM proxy, mock models).
# Usage: stack.sh install|up|down|status
#   install  fetch/build what is missing (idempotent; caches under $HOME)
#   up       install, start what is not running (in parallel), create Kafka topics
#   down     stop only the processes these scripts started (recorded pids)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Groups run in parallel; the components of one group one after the other (both Redis scripts
# install the same Debian package: two apt-get runs at once would fight over dpkg's lock).
PARALLEL_GROUPS=(temporal kafka "redis redis-cluster" blobs llm)
COMPONENTS=(temporal kafka redis redis-cluster blobs llm)

each_parallel() {
  local action=$1 pids=() g rc=0
  for g in "${PARALLEL_GROUPS[@]}"; do
    (for c in $g; do bash "$STACK_ROOT/$c.sh" "$action" || exit 1; done) &
    pids+=($!)
  done
  for g in "${pids[@]}"; do wait "$g" || rc=1; done
  return $rc
}

case "${1:-}" in
  install)
    # apt (redis) and maven (kafka) in parallel with the Go builds; each is a no-op when cached.
    each_parallel install || die "install failed"
    ;;
  up)
    each_parallel start || die "stack start failed; logs in $LOG_DIR"
    (cd "$REPO_ROOT" && KAFKA_BROKERS="$KUNLUN_BIND_HOST:$KAFKA_PORT" node --import tsx packages/infra/src/kafka-topics-cli.ts) \
      || die "creating Kafka topics failed"
    log "stack is up: temporal $KUNLUN_BIND_HOST:$TEMPORAL_PORT (ui http://$KUNLUN_BIND_HOST:$TEMPORAL_UI_PORT), kafka $KUNLUN_BIND_HOST:$KAFKA_PORT, redis $KUNLUN_BIND_HOST:$REDIS_PORT, redis cluster $KUNLUN_BIND_HOST:${REDIS_CLUSTER_PORTS//,/,$KUNLUN_BIND_HOST:}, blobs http://$KUNLUN_BIND_HOST:$BLOBS_PORT (bucket $BLOBS_BUCKET), llm http://$KUNLUN_BIND_HOST:$LLM_PORT/v1"
    ;;
  down)
    for c in "${COMPONENTS[@]}"; do bash "$STACK_ROOT/$c.sh" stop; done
    ;;
  status)
    rc=0
    for c in "${COMPONENTS[@]}"; do bash "$STACK_ROOT/$c.sh" status || rc=1; done
    exit $rc
    ;;
  *) die "usage: $0 install|up|down|status" ;;
esac
