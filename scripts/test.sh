#!/usr/bin/env bash
# Runs every CertLedger test, including the real-Fabric ones, on a fresh
# machine: installs what the tests need (Debian packages for the browser and
# QR tests, the Fabric binaries built from the Go module proxy into a cache
# outside git), then vets and tests every package.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}: install them (Debian: apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

echo "==> go vet"
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './network/fabric-tools/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on: $unformatted" >&2
  exit 1
fi

echo "==> Fabric binaries"
go run ./cmd/certledger network build

echo "==> go test"
export CERTLEDGER_FABRIC=1
go test -count=1 -timeout 60m ./... "$@"
