#!/usr/bin/env bash
# Configures and builds radixlm (Release) into build/. Extra arguments go to
# cmake's configure step. BUILD_DIR overrides the directory; TARGETS (space
# separated) limits what is built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BUILD_DIR:-$root/build}
gen=()
[ -f "$dir/CMakeCache.txt" ] || { command -v ninja >/dev/null && gen=(-G Ninja); }
cmake -S "$root" -B "$dir" "${gen[@]}" "$@" >/dev/null
targets=()
for t in ${TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
