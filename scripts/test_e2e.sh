#!/usr/bin/env bash
# End-to-end tests of `radixlm serve` on the default model: the official
# `openai` npm client under Node's built-in test runner, and curl
# (tests/e2e), then the bounded load test (scripts/load_test.sh).
# Needs Node >= 18 with npm (the npm registry is reached once, by `npm ci`).
# BUILD_DIR (default build/) names the build whose radixlm is tested.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
export RADIXLM_BIN=${RADIXLM_BIN:-$build/src/cli/radixlm}
[ -x "$RADIXLM_BIN" ] || { echo "test_e2e: $RADIXLM_BIN not built" >&2; exit 1; }
# Node and npm: the machine's own when present, else Debian's packages.
if ! command -v npm >/dev/null; then
  echo "test_e2e: installing nodejs and npm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null

cd "$root/tests/e2e"
# npm ci only when node_modules does not match package-lock.json.
if ! cmp -s package-lock.json node_modules/.package-lock.json.src 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.json.src
fi
node --test --test-concurrency=1 .
"$root/scripts/load_test.sh"
