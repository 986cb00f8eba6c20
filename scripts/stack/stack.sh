#!/usr/bin/env bash
# The whole local stack: Temporal dev server, Kafka (KRaft), Redis, the blob store (versitygw).
# Usage: stack.sh install|up|down|status
#   install  fetch/build what is missing (idempotent; caches under $HOME)
#   up       install, start what is not running (in parallel), create Kafka topics
#   down     stop only the processes these scripts started (recorded pids)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMPONENTS=(temporal kafka redis blobs)

each_parallel() {
  local action=$1 pids=() c rc=0
  for c in "${COMPONENTS[@]}"; do bash "$STACK_ROOT/$c.sh" "$action" & pids+=($!); done
  for c in "${pids[@]}"; do wait "$c" || rc=1; done
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
    log "stack is up: temporal $KUNLUN_BIND_HOST:$TEMPORAL_PORT (ui http://$KUNLUN_BIND_HOST:$TEMPORAL_UI_PORT), kafka $KUNLUN_BIND_HOST:$KAFKA_PORT, redis $KUNLUN_BIND_HOST:$REDIS_PORT, blobs http://$KUNLUN_BIND_HOST:$BLOBS_PORT (bucket $BLOBS_BUCKET)"
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
