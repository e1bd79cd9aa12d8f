#!/usr/bin/env bash
# One command that builds cache-tier and runs every test: unit tests,
# integration tests against the real binary (nginx and fake origins included),
# the Python client tests, and the installed-package example; then the suite
# under ASan + UBSan and TSan, and each fuzz target for a bounded time
# (docs/testing.md). CACHE_TIER_QUICK=1 stops after the first suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/install-deps.sh"
BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/build.sh"
(cd "$BUILD_DIR" && ctest --output-on-failure -j "${TEST_JOBS:-2}" --timeout 600)
"$ROOT/scripts/reliability_report.py" "$BUILD_DIR/reliability-results" --out "$ROOT/docs/reliability.md"
if [[ "${CACHE_TIER_QUICK:-0}" == 1 ]]; then
  echo "CACHE_TIER_QUICK=1: sanitizer and fuzz runs skipped"
  exit 0
fi
"$ROOT/scripts/sanitize.sh"
"$ROOT/scripts/fuzz.sh"
