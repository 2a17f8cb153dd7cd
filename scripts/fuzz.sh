#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each one for a
# bounded time on a scratch copy of its seed corpus.
#
#   scripts/fuzz.sh [seconds_per_target] [target ...]
#
# seconds_per_target defaults to 60; targets default to all of
# gguf safetensors llama2c capi. New corpus entries go to fuzz/corpus-run/<target>/
# (ignored by git), crash reproducers to fuzz/corpus-run/artifacts/<target>/.
# Exits non-zero if any target crashes, leaks, times out or runs out of
# memory. Environment: BUILD_DIR (default build-fuzz), JOBS (default 2).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(gguf safetensors llama2c capi); fi
build="${BUILD_DIR:-$root/build-fuzz}"
jobs="${JOBS:-2}"

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DRADIXLM_FUZZ=ON \
  -DRADIXLM_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]/%/_fuzzer}"

status=0
for t in "${targets[@]}"; do
  work="$root/fuzz/corpus-run/$t"
  artifacts="$root/fuzz/corpus-run/artifacts/$t"
  mkdir -p "$work" "$artifacts" "$root/fuzz/corpus/$t"
  echo "== $t: ${seconds}s"
  if ! "$build/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -print_funcs=0 -artifact_prefix="$artifacts/" \
      "$work" "$root/fuzz/corpus/$t"; then
    echo "!! $t: failure; reproducers in $artifacts" >&2
    status=1
  fi
done
exit "$status"
