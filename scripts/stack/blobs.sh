#!/usr/bin/env bash
# The blob store: Versity's S3 gateway (versitygw) over plain files, the S3-compatible server that
# the claim check's S3 driver talks to. install (go install, binary cached under $KUNLUN_CACHE_DIR),
# start (creates the bucket), stop, status. Objects are files under $KUNLUN_STACK_DIR/blobs, so
# they survive a restart; unlike the read model's Redis, this store is the only copy of a text.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=blobs
DATA_DIR="$KUNLUN_STACK_DIR/blobs"
ENDPOINT="http://$KUNLUN_BIND_HOST:$BLOBS_PORT"
HEALTH_PATH=/health

# A `go install` build reports "git" from --version; the module version is in the build info.
installed_version() { [ -x "$VERSITYGW_BIN" ] && go version -m "$VERSITYGW_BIN" 2>/dev/null | awk '$1 == "mod" { sub(/^v/, "", $3); print $3 }' || true; }

install() {
  if [ "$(installed_version)" = "$VERSITYGW_VERSION" ]; then return 0; fi
  command -v go >/dev/null || die "Go is required to build versitygw (needs Go >= 1.25)"
  log "building versitygw v$VERSITYGW_VERSION with go install (first time: a few minutes)"
  # CGO off: the module's optional RDMA/GPU transports need vendor C libraries the gateway never uses here.
  CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}" GOBIN="$(dirname "$VERSITYGW_BIN")" \
    go install "github.com/versity/versitygw/cmd/versitygw@v$VERSITYGW_VERSION"
  [ "$(installed_version)" = "$VERSITYGW_VERSION" ] || die "versitygw at $VERSITYGW_BIN is not v$VERSITYGW_VERSION after install"
}

admin() {
  "$VERSITYGW_BIN" admin --access "$BLOBS_ACCESS_KEY" --secret "$BLOBS_SECRET_KEY" \
    --region "$BLOBS_REGION" --endpoint-url "$ENDPOINT" "$@"
}

healthy() { curl -fsS -o /dev/null --max-time 5 "$ENDPOINT$HEALTH_PATH" 2>/dev/null; }

# Idempotent: an existing bucket (and what it holds) is kept.
ensure_bucket() {
  admin list-buckets 2>/dev/null | awk 'NR > 2 { print $1 }' | grep -qx "$BLOBS_BUCKET" && return 0
  admin create-bucket --owner "$BLOBS_ACCESS_KEY" --bucket "$BLOBS_BUCKET" >/dev/null \
    || die "creating bucket $BLOBS_BUCKET failed (see $LOG_DIR/$NAME.log)"
  log "created bucket $BLOBS_BUCKET"
}

start() {
  install
  if is_running "$NAME"; then log "blobs already running (pid $(pid_of $NAME))"; ensure_bucket; return 0; fi
  port_open "$KUNLUN_BIND_HOST" "$BLOBS_PORT" && die "port $BLOBS_PORT is taken by a process this stack did not start"
  mkdir -p "$DATA_DIR"
  log "starting versitygw on $ENDPOINT (data $DATA_DIR)"
  # Single-account mode: the root user owns the bucket; no IAM service is needed locally.
  start_bg "$NAME" "$VERSITYGW_BIN" --access "$BLOBS_ACCESS_KEY" --secret "$BLOBS_SECRET_KEY" \
    --region "$BLOBS_REGION" --port "$KUNLUN_BIND_HOST:$BLOBS_PORT" --health "$HEALTH_PATH" --quiet \
    posix "$DATA_DIR"
  wait_port "$KUNLUN_BIND_HOST" "$BLOBS_PORT" 60 "$NAME"
  local i
  for ((i = 0; i < 120; i++)); do
    healthy && { ensure_bucket; log "blobs ready"; return 0; }
    is_running "$NAME" || die "versitygw exited during start-up (see $LOG_DIR/$NAME.log)"
    sleep 0.25
  done
  die "versitygw did not answer $ENDPOINT$HEALTH_PATH within 30s (see $LOG_DIR/$NAME.log)"
}

status() {
  if is_running "$NAME" && healthy; then
    echo "blobs: up (pid $(pid_of $NAME), $ENDPOINT, bucket $BLOBS_BUCKET)"
  else
    echo "blobs: down"; return 1
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pid "$NAME" ;;
  status) status ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
