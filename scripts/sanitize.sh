#!/usr/bin/env bash
# The test suite under the sanitizers; any report fails the run.
#
#   build-asan/  ASan + UBSan (clang): the whole CTest suite, the cache-tier
#                servers the integration tests start included, and every fuzz
#                input kept in tests/fuzz (fuzz.* tests). Left out: install.example
#                and package.deb (they build and install the package as a user
#                gets it, uninstrumented; nothing they run is left unchecked
#                here), python.client (the module would load into an
#                uninstrumented interpreter: the Python module is not built),
#                and the reliability label (load and soak cases that measure
#                RSS and rates, which instrumentation changes).
#   build-tsan/  TSan (clang): the fill engine's and the client's tests, unit and
#                integration, and the streaming tests (each server they start
#                is the TSan build too).
#
#   scripts/sanitize.sh            both
#   scripts/sanitize.sh asan|tsan  one
# Reports are written to <build>/sanitizer-logs/ and printed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/sanitizer-env.sh
source "$ROOT/scripts/sanitizer-env.sh"
JOBS="${JOBS:-$(nproc)}"
TEST_JOBS="${TEST_JOBS:-2}"
stages=("$@")
[[ ${#stages[@]} -eq 0 ]] && stages=(asan tsan)

TSAN_TARGETS=(cache-tier unit_fill unit_client integration_engine_nginx_test integration_client_test
              integration_stream_test integration_fill_test)
TSAN_TESTS='^(unit\.fill|unit\.client|integration\.engine_nginx_test|integration\.client_test|integration\.stream_test|integration\.fill_test)\.'

run_stage() {
  local name="$1" dir="$2"; shift 2
  local start=$SECONDS logs="$dir/sanitizer-logs" status=0
  echo "== $name: build"
  "configure_${name}_build" "$dir"
  cmake --build "$dir" -j "$JOBS" "${BUILD_TARGETS[@]}"
  echo "== $name: tests ($(( (SECONDS - start) / 60 )) min so far)"
  sanitizer_options "$logs"
  (cd "$dir" && ctest --output-on-failure -j "$TEST_JOBS" --timeout 600 "$@") || status=1
  check_sanitizer_logs "$logs" || status=1
  echo "== $name: $([[ $status -eq 0 ]] && echo passed || echo FAILED) in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
  return $status
}

failed=0
for stage in "${stages[@]}"; do
  case "$stage" in
    asan)
      BUILD_TARGETS=()
      run_stage asan "${ASAN_BUILD_DIR:-$ROOT/build-asan}" -E '^(install\.example|package\.deb)$' -LE 'reliability|tls_scan' || failed=1 ;;
    tsan)
      BUILD_TARGETS=()
      for target in "${TSAN_TARGETS[@]}"; do BUILD_TARGETS+=(--target "$target"); done
      run_stage tsan "${TSAN_BUILD_DIR:-$ROOT/build-tsan}" -R "$TSAN_TESTS" || failed=1 ;;
    *) echo "sanitize.sh: unknown stage '$stage' (asan or tsan)" >&2; exit 2 ;;
  esac
done
exit $failed
