#!/usr/bin/env bash
# Builds and runs every test: the unit and end-to-end tests (Release), the
# same tests under AddressSanitizer + UndefinedBehaviorSanitizer, the
# concurrent tests under ThreadSanitizer, the Go bindings' tests (with the
# race detector), the HTTP server's end-to-end tests and load test
# (scripts/test_e2e.sh: Node + the openai npm package, curl), and the
# fuzzers for a bounded time on their seed corpora.
# FUZZ_SECONDS (default 30) bounds each fuzzer's run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$root/scripts/setup.sh"

echo "== Release build and tests"
"$root/scripts/build.sh"
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"

# One ASan + UBSan build serves the tests and the fuzzers (its code also
# carries libFuzzer's coverage hooks), with line tables only for the
# reports' stacks: one tree instead of two. (-O1 made clang take over 14
# minutes on kernels/matmul.cc with these instrumentations; -O2 is kept.)
echo "== ASan + UBSan build and tests"
checked_flags="-O2 -gline-tables-only -DNDEBUG"
BUILD_DIR="$root/build-asan" "$root/scripts/build.sh" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$checked_flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$checked_flags" \
  -DRADIXLM_SANITIZE=address,undefined -DRADIXLM_FUZZ=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs"

echo "== TSan build and the concurrent tests"
BUILD_DIR="$root/build-tsan" TARGETS="base_test cache_test engine_test" "$root/scripts/build.sh" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$checked_flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$checked_flags" \
  -DRADIXLM_SANITIZE=thread
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir "$root/build-tsan" --output-on-failure -j "$jobs" \
  -R 'Concurrency|Stress|ThreadPool|Concurrent|Scheduler'

echo "== Go bindings (bindings/go, go test -race)"
"$root/scripts/test_go.sh"

echo "== End-to-end: radixlm serve (openai npm client, curl) and the load test"
"$root/scripts/test_e2e.sh"

echo "== Fuzzers"
BUILD_DIR="$root/build-asan" "$root/scripts/fuzz.sh" "${FUZZ_SECONDS:-30}"
