#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) and runs each:
# first every regression input and seed once, then new inputs for a bounded
# time from the seed corpus. Fails on any crash, leak, sanitizer report or
# broken property; the input that did it is left in $OUT_DIR/<target>/.
#
#   scripts/fuzz.sh                  every target, FUZZ_SECONDS (30) each
#   scripts/fuzz.sh request name     only these targets
#   FUZZ_SECONDS=600 scripts/fuzz.sh request
#
# Builds into build-asan/ (or $BUILD_DIR), the build scripts/sanitize.sh runs the
# suite in: configuring it with CACHE_TIER_FUZZ=ON builds both from one set of objects.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-asan}"
OUT_DIR="${OUT_DIR:-$BUILD_DIR/fuzz-out}"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
FUZZ_DIR="$ROOT/tests/fuzz"

# shellcheck source=scripts/sanitizer-env.sh
source "$ROOT/scripts/sanitizer-env.sh"
configure_asan_build "$BUILD_DIR"
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target fuzzers

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for source in "$FUZZ_DIR"/*_fuzz.cpp; do
    name="$(basename "$source" _fuzz.cpp)"
    targets+=("$name")
  done
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for name in "${targets[@]}"; do
  fuzzer="$BUILD_DIR/tests/fuzz/fuzz_$name"
  work="$OUT_DIR/$name"
  rm -rf "$work" && mkdir -p "$work/new"
  args=(-artifact_prefix="$work/" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
  [[ -f "$FUZZ_DIR/$name.dict" ]] && args+=(-dict="$FUZZ_DIR/$name.dict")
  echo "== fuzz $name: regressions and seeds, then ${FUZZ_SECONDS}s"
  # New inputs go to the first folder (scratch); the repo's seeds are only read.
  if ! "$fuzzer" "${args[@]}" -runs=0 "$FUZZ_DIR/regressions/$name" "$FUZZ_DIR/corpus/$name" > "$work/replay.log" 2>&1 ||
     ! "$fuzzer" "${args[@]}" -max_total_time="$FUZZ_SECONDS" "$work/new" "$FUZZ_DIR/corpus/$name" > "$work/fuzz.log" 2>&1; then
    failed+=("$name")
    tail -n 60 "$work"/*.log
    echo "== fuzz $name: FAILED; inputs: $(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' | sed "s|^|$work/|" | tr '\n' ' ')"
    continue
  fi
  # The last status line: how much of the code the run reached.
  grep -E '^#[0-9]+.*(DONE|INITED)' "$work/fuzz.log" | tail -n 1 | sed "s/^/   /"
  grep -E '^stat::number_of_executed_units' "$work/fuzz.log" | sed "s/^/   /"
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failed: ${failed[*]} (reproduce: $BUILD_DIR/tests/fuzz/fuzz_<target> <input>)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
