#!/usr/bin/env bash
# Installs what radixlm needs to build and test, from Debian 12's apt.
# Idempotent: does nothing when everything is already there. Run as root
# (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang lld llvm libclang-rt-14-dev   # sanitizers and libFuzzer
  libgtest-dev libgmock-dev libbenchmark-dev
  libhwy-dev                          # SIMD with runtime dispatch
  nlohmann-json3-dev
  libcpp-httplib-dev                  # radixlm serve (HTTP)
  libpcre2-dev                        # pre-tokenizer regexes (byte-level BPE)
  python3-jinja2                      # scripts/gen_chat_template_expected.py
  libicu-dev                          # tokenizer.json NFC normalizer
  golang-go                           # the Go bindings (bindings/go, cgo)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
