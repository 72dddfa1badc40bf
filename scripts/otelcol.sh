#!/usr/bin/env bash
# The OTLP receiver of the telemetry tests: a real OpenTelemetry Collector (OTLP/HTTP receiver,
# file exporters) built from its Go modules into .cache/bin, like versitygw (scripts/s3_server.sh).
#
#   scripts/otelcol.sh build     # build/cache the binary, print its path (first run ~2-3 min)
#   scripts/otelcol.sh config    # print the path of the collector config (scripts/otelcol.yaml)
#
# The tests start it on 127.0.0.1 with OTLP_HTTP_PORT and OTEL_OUT_DIR set (tests/function/
# _otelcol.ts) and stop it by PID; it writes traces.jsonl / metrics.jsonl / logs.jsonl there.
set -euo pipefail

CORE=v0.165.0 PDATA=v1.71.0 CONTRIB=v0.165.1   # every collector module at one release
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${REPO_ROOT}/.cache/bin"
BIN="${BIN_DIR}/otelcol-test"
STAMP="${BIN_DIR}/otelcol-test.version"
log() { echo "otelcol: $*" >&2; }

build() {
  if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$CORE" ]]; then
    echo "$BIN"; return
  fi
  log "building the OpenTelemetry Collector ${CORE} (first run takes ~2-3 min)"
  mkdir -p "$BIN_DIR"
  local t0=$SECONDS src
  src=$(mktemp -d)
  trap 'rm -rf "$src"' RETURN
  cat >"$src/go.mod" <<MOD
module otelcoltest
go 1.25
require (
	go.opentelemetry.io/collector/otelcol $CORE
	go.opentelemetry.io/collector/receiver/otlpreceiver $CORE
	github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter $CONTRIB
	go.opentelemetry.io/collector/confmap/provider/fileprovider $PDATA
	go.opentelemetry.io/collector/confmap/provider/envprovider $PDATA
)
MOD
  cat >"$src/main.go" <<'GO'
// A minimal collector: the OTLP receiver and the file exporter (what the telemetry tests need).
package main

import (
	"os"

	fileexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

func components() (otelcol.Factories, error) {
	f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](fileexporter.NewFactory())
	return f, err
}

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-test", Description: "OTLP receiver for tests", Version: "0.165.0"},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		}},
	}
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		os.Exit(1)
	}
}
GO
  # -e: tidy also resolves fileexporter's test-only dependencies, one of which the module proxy
  # does not serve; the binary does not need it.
  (cd "$src" && go mod tidy -e 2>"$src/tidy.log" || { cat "$src/tidy.log" >&2; exit 1; })
  (cd "$src" && GOFLAGS="${GOFLAGS:--buildvcs=false}" go build -trimpath -ldflags='-s -w' -o "$BIN.tmp" .)
  mv -f "$BIN.tmp" "$BIN"
  echo "$CORE" >"$STAMP"
  log "built in $((SECONDS - t0))s"
  echo "$BIN"
}

case "${1:-}" in
  build) build ;;
  config) echo "${REPO_ROOT}/scripts/otelcol.yaml" ;;
  *) echo "usage: $0 build|config" >&2; exit 2 ;;
esac
