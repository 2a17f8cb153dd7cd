#!/usr/bin/env bash
# The main job: install what is needed, build, and serve the default model
# (stories260K, in models/) with the OpenAI-compatible API on
# http://127.0.0.1:8080 until Ctrl-C. Arguments go to `radixlm serve`
# (e.g. --port 9000, -m MODEL, --api-key KEY; see `radixlm serve --help`).
# `radixlm generate` is still there: build/src/cli/radixlm generate -p "..."
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cat >&2 <<'MSG'
Starting radixlm serve (Ctrl-C stops it). Once it says "listening", query it:
  curl http://127.0.0.1:8080/v1/completions -H 'Content-Type: application/json' \
    -d '{"prompt": "Once upon a time", "max_tokens": 60, "temperature": 0}'
  curl -N http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"messages": [{"role": "user", "content": "Tell me a story"}], "max_tokens": 60, "stream": true}'
  curl http://127.0.0.1:8080/metrics
or point any OpenAI client at base URL http://127.0.0.1:8080/v1 (any API key).
MSG
exec "$root/build/src/cli/radixlm" serve -m "$root/models/stories260K/stories260K.bin" "$@"
