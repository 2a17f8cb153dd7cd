#!/bin/sh
# Paired runs of `radixlm bench` and llama.cpp's `llama-bench` on the same
# GGUF files, alternating engines (A B A B) so a noisy machine hits both
# alike. Prints each run's JSON lines (avg_ts per test) to stdout.
#
#   tools/bench_vs_llamacpp.sh RADIXLM LLAMA_BENCH ROUNDS FILE...
# e.g. tools/bench_vs_llamacpp.sh build/src/cli/radixlm \
#        /tmp/llama.cpp/build/bin/llama-bench 2 /tmp/models/*.gguf
set -eu
radixlm=$1; llama=$2; rounds=$3; shift 3
args="-p 512 -n 128 -t 2 -r 2"
for f in "$@"; do
  i=0
  while [ "$i" -lt "$rounds" ]; do
    for engine in radixlm llama.cpp; do
      if [ "$engine" = radixlm ]; then
        out=$("$radixlm" bench -m "$f" $args -o json --bandwidth 1)
      else
        out=$("$llama" -m "$f" $args -o json 2>/dev/null)
      fi
      echo "$out" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    t = "pp%d" % r["n_prompt"] if r["n_prompt"] else "tg%d" % r["n_gen"]
    print(sys.argv[1], sys.argv[2], t, "%.2f" % r["avg_ts"], " ".join("%.2f" % s for s in r["samples_ts"]))
' "$engine" "$(basename "$f")"
    done
    i=$((i + 1))
  done
done
