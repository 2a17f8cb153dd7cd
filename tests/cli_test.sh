#!/usr/bin/env bash
# End-to-end checks of the radixlm binary: the stories260K reference texts,
# --help on every command, and one-line errors with a non-zero exit.
# usage: cli_test.sh RADIXLM_BINARY REPO_ROOT
set -u
bin=$1
root=$2
model=$root/models/stories260K/stories260K.bin
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {  # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

same_text() {  # same_text EXPECTED_FILE ACTUAL_FILE
  if cmp -s "$1" "$2"; then return 0; fi
  diff <(cat "$1") <(cat "$2") | head -20
  return 1
}

# The reference texts (greedy). stdout = prompt + generation + "\n".
"$bin" generate -m "$model" --temp 0 -n 256 -p "" >"$tmp/bos.txt" 2>"$tmp/bos.err"
printf '\n' | cat "$root/tests/data/stories260K_bos_256.txt" - >"$tmp/bos.want"
check "reference text from BOS" same_text "$tmp/bos.want" "$tmp/bos.txt"
check "statistics on stderr" grep -q "generation:.*tokens/s" "$tmp/bos.err"

"$bin" generate -m "$model" --temp 0 -n 60 -p "Once upon a time" >"$tmp/once.txt" 2>/dev/null
printf '\n' | cat "$root/tests/data/stories260K_once_upon_64.txt" - >"$tmp/once.want"
check "reference text from a prompt" same_text "$tmp/once.want" "$tmp/once.txt"

# --help everywhere.
for cmd in "" generate info; do
  check "help: $cmd" bash -c "'$bin' $cmd --help | grep -q usage"
done
check "info" bash -c "'$bin' info -m '$model' | grep -q 'n_kv_heads:   4'"

# A profile that cannot be written: non-zero exit, the error as the last line.
profile_write_error() {
  "$bin" "$@" >/dev/null 2>"$tmp/err" && return 1
  tail -n 1 "$tmp/err" | grep -q "cannot open profile file"
}

# --profile: a Chrome trace of every forward's operations, and a summary.
"$bin" generate -m "$model" --temp 0 -n 8 -p "Once upon a time" --profile "$tmp/gen.json" \
  >/dev/null 2>"$tmp/gen.err"
check "profile: trace written" grep -q '^{"displayTimeUnit":"ms","traceEvents":\[{"name"' "$tmp/gen.json"
check "profile: per-layer matmuls" grep -q '"name":"matmul.w2","cat":"matmul".*"layer":4' "$tmp/gen.json"
check "profile: sampling traced" grep -q '"name":"sampling"' "$tmp/gen.json"
check "profile: summary" grep -q '^forward  *forward  *8 ' "$tmp/gen.err"
"$bin" bench -m "$model" -p 16 -n 4 -r 1 --bandwidth 10 --profile "$tmp/bench.json" \
  >/dev/null 2>"$tmp/bench.err"
check "profile: bench" grep -q '"name":"attention"' "$tmp/bench.json"
check "profile: unwritable file" profile_write_error generate -m "$model" -n 2 --profile /nonexistent-dir/p.json

# Errors: non-zero exit, exactly one line on stderr.
one_line_error() {  # one_line_error ARGS...
  local rc
  "$bin" "$@" >/dev/null 2>"$tmp/err"
  rc=$?
  [ "$rc" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "rc=$rc stderr:"; cat "$tmp/err"; return 1; }
}
check "missing model" one_line_error generate -m /nonexistent.gguf -p hi
check "bad flag value" one_line_error generate -m "$model" -n abc
check "unknown flag" one_line_error generate --bogus
check "unknown command" one_line_error frobnicate
printf 'GGUF\003\000\000\000garbage' >"$tmp/bad.gguf"
check "malformed gguf" one_line_error info -m "$tmp/bad.gguf"
head -c 1000 "$model" >"$tmp/trunc.bin"
cp "$root/models/stories260K/tok512.bin" "$tmp/tok512.bin"
check "truncated checkpoint" one_line_error generate -m "$tmp/trunc.bin"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
