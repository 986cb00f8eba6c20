#!/usr/bin/env bash
# Shared settings and helpers for the local stack scripts.
# Every setting can be overridden by env so tests can run a second, private stack.
set -euo pipefail

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STACK_ROOT/../.." && pwd)"

# Data (state, logs, pids) is per checkout; caches (toolchains, jars) are per user.
KUNLUN_STACK_DIR="${KUNLUN_STACK_DIR:-$REPO_ROOT/.stack}"
KUNLUN_CACHE_DIR="${KUNLUN_CACHE_DIR:-$HOME/.cache/kunlun-mirror}"
KUNLUN_BIND_HOST="${KUNLUN_BIND_HOST:-127.0.0.1}"

TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-1.5.1}"
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-$((TEMPORAL_PORT + 1000))}"
TEMPORAL_METRICS_PORT="${TEMPORAL_METRICS_PORT:-$((TEMPORAL_PORT + 2000))}"
TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
TEMPORAL_HEADLESS="${TEMPORAL_HEADLESS:-false}" # true: no Web UI (private test servers)

KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
# A second listener with SASL/SCRAM, so tests prove the services' Kafka authentication for real.
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}"
# And a TLS listener that requires client certificates (test CA and certificates under the stack dir).
KAFKA_SSL_PORT="${KAFKA_SSL_PORT:-$((KAFKA_PORT + 3))}"
# The local stack's SCRAM user (test credentials, local only).
KAFKA_SASL_TEST_USER="${KAFKA_SASL_TEST_USER:-kunlun-test}"
KAFKA_SASL_TEST_PASSWORD="${KAFKA_SASL_TEST_PASSWORD:-kunlun-test-secret}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"

REDIS_PORT="${REDIS_PORT:-6379}"
# The 3-primary Redis Cluster (redis-cluster.sh): client ports, and cluster bus ports (default: each + 10000).
REDIS_CLUSTER_PORTS="${REDIS_CLUSTER_PORTS:-7001,7002,7003}"
REDIS_CLUSTER_BUS_PORTS="${REDIS_CLUSTER_BUS_PORTS:-}"

# The blob store (large texts by content hash): Versity's S3 gateway over plain files.
VERSITYGW_VERSION="${VERSITYGW_VERSION:-1.8.0}"
BLOBS_PORT="${BLOBS_PORT:-7070}"
BLOBS_BUCKET="${BLOBS_BUCKET:-kunlun-blobs}"
BLOBS_REGION="${BLOBS_REGION:-us-east-1}"
# The local stack's root user (test credentials, local only).
BLOBS_ACCESS_KEY="${BLOBS_ACCESS_KEY:-kunlun-local}"
BLOBS_SECRET_KEY="${BLOBS_SECRET_KEY:-kunlun-local-secret}"

# An OpenAI-compatible server: LiteLLM's proxy (PyPI, in a virtualenv) serving mock models (llm.sh).
# Pinned: 1.107.0 was a compromised release.
LITELLM_VERSION="${LITELLM_VERSION:-1.104.2}"
LLM_PORT="${LLM_PORT:-4000}"
# The proxy's master key (local only): agents send it as LLM_API_KEY.
LLM_MASTER_KEY="${LLM_MASTER_KEY:-sk-kunlun-local}"
LITELLM_VENV="${LITELLM_VENV:-$KUNLUN_CACHE_DIR/litellm-$LITELLM_VERSION}"

# Custom search attributes the workflows upsert (see packages/contracts/src/search-attributes.ts).
TEMPORAL_SEARCH_ATTRIBUTES=(KunlunState=Keyword KunlunRound=Int KunlunProgress=Double)

GOBIN_DIR="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
TEMPORAL_BIN="${TEMPORAL_BIN:-$GOBIN_DIR/temporal}"
KAFKA_LIBS="$KUNLUN_CACHE_DIR/kafka-$KAFKA_VERSION/libs"
VERSITYGW_BIN="${VERSITYGW_BIN:-$KUNLUN_CACHE_DIR/versitygw-$VERSITYGW_VERSION/versitygw}"

PID_DIR="$KUNLUN_STACK_DIR/pids"
LOG_DIR="$KUNLUN_STACK_DIR/logs"
mkdir -p "$PID_DIR" "$LOG_DIR" "$KUNLUN_CACHE_DIR"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# Run as root directly, otherwise through sudo when it exists.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_port HOST PORT SECONDS NAME — the machine may be loaded (2 cores), so waits are generous.
wait_port() {
  local host=$1 port=$2 secs=$3 name=$4 i
  for ((i = 0; i < secs * 4; i++)); do
    port_open "$host" "$port" && return 0
    sleep 0.25
  done
  die "$name did not open $host:$port within ${secs}s (see $LOG_DIR/$name.log)"
}

pid_of() { local f="$PID_DIR/$1.pid"; [ -f "$f" ] && cat "$f" || true; }
is_running() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# start_bg NAME CMD... — detached from this shell's process group so a test runner's
# exit does not take it down; pid recorded so stop only ends what we started.
start_bg() {
  local name=$1; shift
  setsid nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

# stop_pid NAME [SIGNAL] — TERM, then KILL after a grace period.
stop_pid() {
  local name=$1 sig=${2:-TERM} pid i
  pid=$(pid_of "$name")
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then rm -f "$PID_DIR/$name.pid"; return 0; fi
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in 30s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PID_DIR/$name.pid"
  log "$name stopped"
}
