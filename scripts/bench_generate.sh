#!/usr/bin/env bash
# Prompt and generation tokens/s of `radixlm generate` (greedy) on
# stories260K and on random-weight GGUFs of TinyLlama-1.1B's dimensions
# (F16 and Q8_0, made by tools/make_random_gguf on first use). Prints the
# median of RUNS runs per model as a markdown table row.
#
#   scripts/bench_generate.sh [THREADS=2] [RUNS=5]
# MODELS_DIR (default build/bench-models) holds the generated GGUFs (~3.4 GB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${1:-2}
runs=${2:-5}
bin=$root/build/src/cli/radixlm
mk=$root/build/tools/make_random_gguf
models=${MODELS_DIR:-$root/build/bench-models}
mkdir -p "$models"
for type in f16 q8_0; do
  f=$models/tinyllama-random-$type.gguf
  [ -f "$f" ] || "$mk" --preset tinyllama --type "$type" \
    --vocab-from "$root/testdata/vocab/ggml-vocab-llama-spm.gguf" --out "$f"
done

# A prompt of a fixed ~128 tokens, so prefill is measured on a real batch.
prompt="Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball under a tree and wanted to play with it. Her mom said that they could go to the park after lunch, so Lily ate her food quickly and put on her shoes. When they got to the park, the sun was shining and the birds were singing in the trees. Lily ran"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench() {  # bench NAME MODEL N_PREDICT
  local name=$1 model=$2 n=$3 pp=() tg=() ptok=0
  for ((i = 0; i < runs; i++)); do
    local err
    err=$("$bin" generate -m "$model" -p "$prompt" -n "$n" --temp 0 --ignore-eos -t "$threads" 2>&1 >/dev/null)
    pp+=("$(echo "$err" | awk '/^prompt:/ {print $(NF-1)}' | tr -d '(')")
    tg+=("$(echo "$err" | awk '/^generation:/ {print $(NF-1)}' | tr -d '(')")
    ptok=$(echo "$err" | awk '/^prompt:/ {print $2}')
  done
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$threads" "$ptok" \
    "$(printf '%s\n' "${pp[@]}" | median)" "$n" "$(printf '%s\n' "${tg[@]}" | median)"
}

echo "| model | threads | prompt tokens | prompt tok/s (median) | generated tokens | generation tok/s (median) |"
echo "| --- | --- | --- | --- | --- | --- |"
bench "stories260K (f32)" "$root/models/stories260K/stories260K.bin" 256
bench "TinyLlama-1.1B shape, random, F16" "$models/tinyllama-random-f16.gguf" 32
bench "TinyLlama-1.1B shape, random, Q8_0" "$models/tinyllama-random-q8_0.gguf" 32
