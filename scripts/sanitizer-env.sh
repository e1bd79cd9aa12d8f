# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: how the sanitizer builds
# are configured, and the runtime options every instrumented process gets.
# shellcheck shell=bash

SANITIZER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# -O1 and line tables only: the sanitizers' usual trade between run time,
# build time and readable stack traces. Debian's clang: libFuzzer needs it,
# and both builds then share one compiler. No Python module: it would have to
# be loaded into an uninstrumented interpreter.
_configure_sanitizer_build() {
  local dir="$1"; shift
  cmake -S "$SANITIZER_ROOT" -B "$dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DCACHE_TIER_BUILD_PYTHON=OFF "$@" >/dev/null
}

# ASan + UBSan, and the fuzzers from the same objects.
configure_asan_build() { _configure_sanitizer_build "$1" -DCACHE_TIER_FUZZ=ON -DCACHE_TIER_SANITIZE=address,undefined; }
configure_tsan_build() { _configure_sanitizer_build "$1" -DCACHE_TIER_SANITIZE=thread; }

# Every instrumented process (the tests and the cache-tier servers they start)
# writes its reports to files under $1, so a report from a server that a test
# started is seen even when the test passes; check_sanitizer_logs fails on any.
sanitizer_options() {
  local logs="$1" supp="$SANITIZER_ROOT/tests/sanitizers"
  rm -rf "$logs" && mkdir -p "$logs"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/asan:strict_string_checks=1:check_initialization_order=1"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan:suppressions=$supp/ubsan.supp"
  export TSAN_OPTIONS="halt_on_error=1:log_path=$logs/tsan:suppressions=$supp/tsan.supp:second_deadlock_stack=1"
}

# Prints every report and fails if there is one.
check_sanitizer_logs() {
  local logs="$1" reports
  reports="$(find "$logs" -type f -size +0 | sort)"
  if [[ -n "$reports" ]]; then
    for report in $reports; do
      echo "==== $report"
      head -n 80 "$report"
    done
    echo "sanitizer reports: $(echo "$reports" | wc -l) (in $logs)" >&2
    return 1
  fi
}
