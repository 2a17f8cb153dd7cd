#!/usr/bin/env bash
# Bounded load test of `radixlm serve` (tests/e2e/load.mjs): 500 requests
# from 16 concurrent clients over loopback on the default model, with a
# small KV budget; fails on any error or if, afterwards, pages stay pinned
# or free + evictable + pinned != total. Arguments go to load.mjs
# (--requests N --clients C --kv-cache-bytes B).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export RADIXLM_BIN=${RADIXLM_BIN:-${BUILD_DIR:-$root/build}/src/cli/radixlm}
exec node "$root/tests/e2e/load.mjs" "$@"
