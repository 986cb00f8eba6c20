#!/usr/bin/env bash
# The recorder's tests and the gateway's read-model tests again, each file against a private
# 3-primary Redis Cluster (KUNLUN_TEST_REDIS=cluster: startRedisServer starts one on free ports
# with scripts/stack/redis-cluster.sh). The README's test command (scripts/test.sh) runs it after
# the whole suite; pass file paths to run a subset. Needs the stack (Temporal, Kafka) up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ "${KUNLUN_STACK_UP:-}" = 1 ] || bash scripts/stack/stack.sh up

if [ $# -gt 0 ]; then
  files=("$@")
else
  # The recorder (projection, rebuilds, epochs, rebuild jobs), and the gateway files that read and
  # write the read model: the API's lists, rounds and summaries, tenant isolation, SSE from the
  # events log and pub/sub, rebuild jobs and readiness. The rest of the suite runs on one node only.
  files=(
    services/recorder/src/recorder.test.ts
    services/gateway/src/api.test.ts
    services/gateway/src/security.test.ts
    services/gateway/src/sse.test.ts
    services/gateway/src/admin.test.ts
  )
fi
KUNLUN_TEST_REDIS=cluster exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
