#!/usr/bin/env bash
# The main job: install what is needed, build, and generate a story with the
# default model (stories260K, in models/). Arguments go to `radixlm generate`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
if [ $# -eq 0 ]; then
  set -- -p "Once upon a time" -n 200 --temp 0
fi
exec "$root/build/src/cli/radixlm" generate -m "$root/models/stories260K/stories260K.bin" "$@"
