#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine, idempotently:
# pnpm (version pinned in package.json), node dependencies, and the local stack's toolchains
# (Temporal CLI and the versitygw blob server via go install, Kafka jars via Maven, redis-server
# via apt), and the Debian packages some tests drive (chromium, prometheus, openssl).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need() { command -v "$1" >/dev/null || { echo "[setup] error: $1 is required ($2)" >&2; exit 1; }; }
need node "Node >= 20.3"
need go "Go >= 1.25 builds the Temporal CLI"
need java "Java 17 runs the Kafka broker"
need mvn "Maven resolves the Kafka jars"

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "[setup] installing pnpm $PNPM_VERSION" >&2
  npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

pnpm install --frozen-lockfile --prefer-offline --reporter=append-only
bash scripts/stack/stack.sh install

# Debian packages: Chromium for the web page's browser test (playwright-core drives it; no browser
# download); Prometheus (with promtool) for the observability test, which runs its own instance.
apt_packages=()
command -v chromium >/dev/null || apt_packages+=(chromium)
{ command -v prometheus >/dev/null && command -v promtool >/dev/null; } || apt_packages+=(prometheus)
command -v openssl >/dev/null || apt_packages+=(openssl) # test certificates (TLS/mTLS tests)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "[setup] installing ${apt_packages[*]} with apt-get" >&2
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  # The prometheus package enables and starts a system service on :9090; the tests start their
  # own. A policy-rc.d that answers 101 ("action forbidden") makes invoke-rc.d and
  # deb-systemd-invoke skip the start, on machines with or without systemd.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\\nexit 101\\n' >$policy && chmod 755 $policy"
    trap 'as_root rm -f "$policy"' EXIT
  fi
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi
