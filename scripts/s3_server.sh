#!/usr/bin/env bash
# Local S3 test server: versitygw (posix backend) on 127.0.0.1, built from its Go module.
#
#   scripts/s3_server.sh build                  # build/cache the binary, print its path
#   eval "$(scripts/s3_server.sh start [opts])" # start in background, export AWS_* env
#   scripts/s3_server.sh stop [--state DIR]     # kill it and delete its temporary root
#   scripts/s3_server.sh run [opts]             # foreground (Ctrl-C stops), env printed to stderr
#
# start/run options:
#   --server versitygw|moto   which server (default versitygw; moto comes from .venv, for cross-checks)
#   --port N                  listen port on 127.0.0.1 (default: a free port)
#   --root DIR                posix root (default: a fresh temp dir, removed by stop)
#   --bucket NAME             create this bucket (repeatable)
#   --event-webhook-url URL   POST S3-style bucket event Records to URL (versitygw --event-webhook-url).
#                             The receiver must already listen: versitygw POSTs a test event at
#                             startup and exits if that fails.
#   --event-filter FILE       versitygw event filter config (--event-filter)
#   --state DIR               where pid/env files live (default: .cache/s3_server)
#
# Credentials are fixed test-only values for a loopback server; override with
# S3_TEST_ACCESS_KEY / S3_TEST_SECRET_KEY.
set -euo pipefail

VERSITYGW_VERSION="v1.8.0"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${REPO_ROOT}/.cache/bin"
BIN="${BIN_DIR}/versitygw"
STAMP="${BIN_DIR}/versitygw.version"
ACCESS_KEY="${S3_TEST_ACCESS_KEY:-test-root-access}"
SECRET_KEY="${S3_TEST_SECRET_KEY:-test-root-secret-not-for-prod}"
REGION="us-east-1"

log() { echo "s3_server: $*" >&2; }

build() {
  if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSITYGW_VERSION" ]]; then
    echo "$BIN"; return
  fi
  log "building versitygw ${VERSITYGW_VERSION} (first run takes ~2 min)"
  mkdir -p "$BIN_DIR"
  local t0=$SECONDS
  GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:--buildvcs=false}" \
    go install "github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}" >&2
  echo "$VERSITYGW_VERSION" >"$STAMP"
  log "built in $((SECONDS - t0))s"
  echo "$BIN"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

print_env() {
  local port=$1
  cat <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:${port}
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:${port}
export AWS_ACCESS_KEY_ID=${ACCESS_KEY}
export AWS_SECRET_ACCESS_KEY=${SECRET_KEY}
export AWS_REGION=${REGION}
export S3_FORCE_PATH_STYLE=1
ENV
}

wait_ready() {
  local port=$1 pid=$2
  for _ in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then log "versitygw exited during startup"; return 1; fi
    # Any HTTP answer (403 for an unsigned request) means it is serving.
    if curl -s -o /dev/null -m 1 "http://127.0.0.1:${port}/"; then return 0; fi
    sleep 0.05
  done
  log "versitygw did not answer on port ${port}"; return 1
}

parse_opts() {
  SERVER=versitygw PORT="" ROOT="" BUCKETS=() EXTRA=() STATE="${REPO_ROOT}/.cache/s3_server"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --server) SERVER=$2; shift 2 ;;
      --port) PORT=$2; shift 2 ;;
      --root) ROOT=$2; shift 2 ;;
      --bucket) BUCKETS+=("$2"); shift 2 ;;
      --event-webhook-url) EXTRA+=(--event-webhook-url "$2"); shift 2 ;;
      --event-filter) EXTRA+=(--event-filter "$2"); shift 2 ;;
      --state) STATE=$2; shift 2 ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
  done
  [[ -n "$PORT" ]] || PORT=$(free_port)
  if [[ $SERVER == moto && ${#EXTRA[@]} -gt 0 ]]; then log "event options need versitygw"; exit 2; fi
  [[ $SERVER == versitygw || $SERVER == moto ]] || { log "unknown server $SERVER"; exit 2; }
  OWN_ROOT=0
  [[ $SERVER == versitygw ]] || return 0
  if [[ -z "$ROOT" ]]; then ROOT=$(mktemp -d /tmp/versitygw-root.XXXXXX); OWN_ROOT=1; fi
  mkdir -p "$ROOT"
}

create_buckets() {
  local b
  for b in "${BUCKETS[@]}"; do
    # A signed CreateBucket via the Deno helper would be cleaner; curl's --aws-sigv4 does it too.
    curl -s -f -o /dev/null -X PUT -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:${REGION}:s3" --user "${ACCESS_KEY}:${SECRET_KEY}" \
      "http://127.0.0.1:${PORT}/${b}" || { log "could not create bucket ${b}"; return 1; }
  done
}

launch() { # $1 = fg|bg
  local bin args
  if [[ $SERVER == moto ]]; then
    bin="${REPO_ROOT}/.venv/bin/moto_server"
    [[ -x "$bin" ]] || { log "no $bin: .venv/bin/pip install 'moto[server]==5.2.5'"; exit 1; }
    args=(-H 127.0.0.1 -p "$PORT")
  else
    bin=$(build)
    args=(--port "127.0.0.1:${PORT}" --access "$ACCESS_KEY" --secret "$SECRET_KEY" --region "$REGION"
      --quiet --keep-alive "${EXTRA[@]}" posix "$ROOT")
  fi
  if [[ $1 == fg ]]; then
    print_env "$PORT" >&2
    exec "$bin" "${args[@]}"
  fi
  mkdir -p "$STATE"
  if [[ -f "$STATE/pid" ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
    log "already running (pid $(cat "$STATE/pid")); stop it first or use --state"; exit 1
  fi
  "$bin" "${args[@]}" >"$STATE/server.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$STATE/pid"
  if [[ $OWN_ROOT == 1 ]]; then echo "$ROOT" >"$STATE/root"; else rm -f "$STATE/root"; fi
  if ! wait_ready "$PORT" "$pid"; then cat "$STATE/server.log" >&2; stop; exit 1; fi
  create_buckets
  print_env "$PORT" | tee "$STATE/env"
  log "${SERVER} pid ${pid} on 127.0.0.1:${PORT}${ROOT:+, root ${ROOT}}"
}

stop() {
  local state=${STATE:-${REPO_ROOT}/.cache/s3_server}
  if [[ -f "$state/pid" ]]; then
    local pid; pid=$(cat "$state/pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/pid" "$state/env"
  fi
  if [[ -f "$state/root" ]]; then rm -rf "$(cat "$state/root")"; rm -f "$state/root"; fi
}

cmd=${1:-}; shift || true
case "$cmd" in
  build) build ;;
  start) parse_opts "$@"; launch bg ;;
  run) parse_opts "$@"; launch fg ;;
  stop)
    STATE=""
    if [[ ${1:-} == --state ]]; then STATE=$2; fi
    stop ;;
  env) cat "${REPO_ROOT}/.cache/s3_server/env" ;;
  *) sed -n '2,22p' "$0" >&2; exit 2 ;;
esac
