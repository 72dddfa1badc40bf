#!/usr/bin/env bash
# `deno task test`: makes sure everything the suite needs is installed (idempotent, cached), then
# runs it. On a fresh machine the first run creates .venv (TensorFlow, moto, tf_keras from PyPI)
# and builds versitygw, the OpenTelemetry Collector and actionlint from their Go modules into
# .cache/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "test: $*" >&2; }

if ! .venv/bin/python -c 'import tensorflow, moto' >/dev/null 2>&1; then
  log "creating .venv from tests/requirements.txt (tensorflow-cpu, moto; a few minutes)"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt >&2
fi
if ! .venv/bin/python -c 'import tf_keras' >/dev/null 2>&1; then
  log "adding tf_keras to .venv (tests/requirements-keras.txt, --no-deps)"
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -r tests/requirements-keras.txt >&2
fi
bash scripts/s3_server.sh build >/dev/null
bash scripts/otelcol.sh build >/dev/null
bash scripts/actionlint.sh build >/dev/null

# With no arguments: the suite, plus the runnable @example of every public module (--doc).
if [ "$#" -eq 0 ]; then set -- --doc tests/ lib/; fi
exec deno test -A --parallel "$@"
