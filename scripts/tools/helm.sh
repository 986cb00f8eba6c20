#!/usr/bin/env bash
# Installs helm (v3) idempotently with `go install` and prints the binary's path on stdout.
# Cached per version under the user's cache dir, so a second run is instant.
# Usage: bash scripts/tools/helm.sh            → /root/.cache/kunlun-mirror/helm-v3.22.0/helm
#        HELM_VERSION=v3.21.4 bash scripts/tools/helm.sh
# v3.22.0 is the newest v3 tag (checked with `go list -m -versions helm.sh/helm/v3`); its go.mod
# has no replace directive, so `go install pkg@version` accepts it (needs Go >= 1.26).
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUNLUN_CACHE_DIR="${KUNLUN_CACHE_DIR:-$HOME/.cache/kunlun-mirror}"
HELM_DIR="$KUNLUN_CACHE_DIR/helm-$HELM_VERSION"
HELM_BIN="$HELM_DIR/helm"

log() { printf '[helm] %s\n' "$*" >&2; }
die() { printf '[helm] error: %s\n' "$*" >&2; exit 1; }

# A `go install` build reports its module version in the build info (helm version shows v3.x too).
installed_version() { [ -x "$HELM_BIN" ] && go version -m "$HELM_BIN" 2>/dev/null | awk '$1 == "mod" { print $3 }' || true; }

if [ "$(installed_version)" != "$HELM_VERSION" ]; then
  command -v go >/dev/null || die "Go is required to build helm (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)"
  mkdir -p "$HELM_DIR"
  # Two callers at once (parallel test files) build once: the second waits on the lock.
  exec 9>"$HELM_DIR.lock"
  command -v flock >/dev/null && flock 9
  if [ "$(installed_version)" != "$HELM_VERSION" ]; then
    log "building helm $HELM_VERSION with go install (first time: a few minutes)"
    GOBIN="$HELM_DIR" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    [ "$(installed_version)" = "$HELM_VERSION" ] || die "$HELM_BIN is not $HELM_VERSION after go install"
  fi
fi
echo "$HELM_BIN"
