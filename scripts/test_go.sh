#!/usr/bin/env bash
# Runs the Go layer's checks (bindings/go): go vet, the tests under the race
# detector, and a short run of the chat example, against the C library of
# the Release build (built first if missing). BUILD_DIR overrides build/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BUILD_DIR:-$root/build}
[ -f "$dir/src/capi/radixlm.pc" ] && [ -f "$dir/src/capi/libradixlm.so" ] || \
  BUILD_DIR="$dir" "$root/scripts/build.sh"
command -v go >/dev/null || { echo "test_go: go not found (run scripts/setup.sh)" >&2; exit 1; }

# cgo finds libradixlm through its pkg-config file (which also sets an
# rpath, so no LD_LIBRARY_PATH is needed).
export PKG_CONFIG_PATH="$dir/src/capi${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export CGO_ENABLED=1 GOFLAGS="${GOFLAGS:--buildvcs=false}"
# No network: the module uses only the standard library.
export GOPROXY=off GOTOOLCHAIN=local
# A cache directory when $HOME is unset (e.g. in minimal containers).
[ -n "${HOME:-}" ] || [ -n "${GOCACHE:-}" ] || export GOCACHE="$dir/go-cache"

cd "$root/bindings/go"
go vet ./...
go test -race -count=1 -p 1 -timeout 5m ./...
go run ./examples/chat -turns 2 -n 8 >/dev/null
echo "test_go: ok"
