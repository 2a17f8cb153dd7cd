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
# memory, and names the failing targets on the last line.
# Environment: BUILD_DIR (default build-fuzz; used as it is when already
# configured with RADIXLM_FUZZ=ON), JOBS (default 2), FUZZ_SEED
# (default 1: the same inputs on every run, so CI is deterministic and a
# finding reproduces; set FUZZ_SEED=0 for a fresh random exploration).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(gguf safetensors llama2c capi); fi
build="${BUILD_DIR:-$root/build-fuzz}"
jobs="${JOBS:-2}"

# A build directory already configured with RADIXLM_FUZZ=ON (scripts/test.sh
# passes its ASan tree) is used as it is.
if ! grep -qx 'RADIXLM_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DRADIXLM_FUZZ=ON \
    -DRADIXLM_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j"$jobs" --target "${targets[@]/%/_fuzzer}"

failed=()
for t in "${targets[@]}"; do
  work="$root/fuzz/corpus-run/$t"
  artifacts="$root/fuzz/corpus-run/artifacts/$t"
  mkdir -p "$work" "$artifacts" "$root/fuzz/corpus/$t"
  echo "== $t: ${seconds}s"
  log="$root/fuzz/corpus-run/$t.log"
  # The full libFuzzer log goes to a file; its summary (or, on failure, its
  # end, with the sanitizer report) to the terminal.
  if "$build/fuzz/${t}_fuzzer" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -print_funcs=0 \
      -artifact_prefix="$artifacts/" "$work" "$root/fuzz/corpus/$t" >"$log" 2>&1; then
    grep -E '^Done |^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" || true
  else
    tail -n 60 "$log" >&2
    echo "!! $t: failure; reproducers in $artifacts, full log in $log" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers under fuzz/corpus-run/artifacts/)" | tee /dev/stderr
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
