#!/usr/bin/env bash
# Installs the Debian 12 packages cache-tier builds, tests and benchmarks with.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libcli11-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  pybind11-dev python3-dev python3-botocore
  nginx-light wrk curl
  lintian
  # Operations and hardening: promtool for /metrics, headless chromium for the
  # status page, clang + libFuzzer + sanitizer runtimes, TLS scanners and load
  # tools, strace for system-call counts, openssl for test certificates.
  prometheus chromium clang lld libfuzzer-14-dev libclang-rt-14-dev
  testssl.sh nghttp2-client strace openssl procps iproute2 logrotate haproxy
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---------------------------------------------------------------------------
# npm packages of the test fakes (tests/fakes/package.json: s3rver, for
# tests/integration/fill_s3rver_test.cpp), installed exactly as locked in
# package-lock.json, and only when node_modules is missing or older than it.
FAKES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/fakes"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "Installing: nodejs npm"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node and npm are needed for the s3rver tests (tests/fakes); install them and run this again" >&2
  exit 1
fi
if [ ! -d "$FAKES_DIR/node_modules" ] || [ "$FAKES_DIR/package-lock.json" -nt "$FAKES_DIR/node_modules" ]; then
  echo "Installing test fakes: npm ci in tests/fakes"
  (cd "$FAKES_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$FAKES_DIR/node_modules"
fi
