#!/usr/bin/env bash
# actionlint, built from its pinned Go module into .cache/bin (cached by version).
#
#   scripts/actionlint.sh build          # build if needed, print the binary's path
#   scripts/actionlint.sh [FILE...]      # lint workflow files (default: deploy.yml)
#
# shellcheck/pyflakes integrations are off so results do not depend on what else is installed.
set -euo pipefail

ACTIONLINT_VERSION="v1.7.12"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${REPO_ROOT}/.cache/bin"
BIN="${BIN_DIR}/actionlint"
STAMP="${BIN_DIR}/actionlint.version"

build() {
  if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$ACTIONLINT_VERSION" ]]; then
    echo "$BIN"; return
  fi
  echo "actionlint: building ${ACTIONLINT_VERSION}" >&2
  mkdir -p "$BIN_DIR"
  GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:--buildvcs=false}" \
    go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" >&2
  echo "$ACTIONLINT_VERSION" >"$STAMP"
  echo "$BIN"
}

if [[ "${1:-}" == "build" ]]; then build; exit 0; fi
bin=$(build)
if [[ $# -eq 0 ]]; then set -- "${REPO_ROOT}/deploy.yml"; fi
exec "$bin" -shellcheck= -pyflakes= "$@"
