#!/usr/bin/env bash
# Check the installed package as a user gets it: `cmake --install` the build
# into a temporary prefix, build examples/ against it with find_package and
# with pkg-config, and run the example and the Python module against the
# installed `cache-tier serve`.
#
#   examples/check_installed.sh [BUILD_DIR]      (default: ./build)
set -euo pipefail

build_dir=$(cd "${1:-build}" && pwd)
examples=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/cache-tier-installed-XXXXXX")
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "check_installed: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "install $build_dir into a temporary prefix"
prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log" >&2; fail "cmake --install failed"; }
[[ -f "$prefix/include/cache_tier/client.hpp" ]] || fail "client.hpp not installed"
pc_file=$(find "$prefix" -name cache_tier.pc | head -n 1)
[[ -n "$pc_file" ]] || fail "cache_tier.pc not installed"
[[ -n "$(find "$prefix" -name cache_tierConfig.cmake)" ]] || fail "CMake package not installed"
if find "$prefix/include" -name '*.hpp' | xargs grep -l 'boost\|nlohmann\|curl/' >/dev/null; then
    fail "public headers must not include Boost, nlohmann-json or libcurl"
fi

step "build examples/ with find_package(cache_tier)"
cmake -S "$examples" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" \
    || { cat "$work/configure.log" >&2; fail "configuring the examples failed"; }
cmake --build "$work/build" >"$work/build.log" || { cat "$work/build.log" >&2; fail "building the examples failed"; }

step "build the example with pkg-config"
pc_flags=$(PKG_CONFIG_PATH="$(dirname "$pc_file")" pkg-config --cflags --libs cache_tier)
c++ -std=c++17 "$examples/verify_loop.cpp" $pc_flags -o "$work/verify_loop_pkgconfig" \
    || fail "building with pkg-config flags '$pc_flags' failed"

step "start the installed cache-tier serve"
mkdir -p "$work/origin" "$work/cache"
echo "the file" >"$work/origin/some_big_file.mp3"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$prefix/bin/cache-tier" serve --listen "127.0.0.1:$port" --cache-dir "$work/cache" \
    --origin "file://$work/origin" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "cache-tier serve did not start"; }
base_url="http://127.0.0.1:$port/"

# The first request starts the fill and goes to the origin; a later process
# (empty status cache) is sent to the cache tier.
run_example() {
    local binary=$1 output
    output=$("$binary" "$base_url" some_big_file.mp3) || fail "$binary failed"
    [[ "$output" == "origin: some_big_file.mp3" || "$output" == "cache-tier: ${base_url}download/some_big_file.mp3" ]] \
        || fail "$binary printed '$output'"
    for _ in $(seq 100); do
        output=$("$binary" "$base_url" some_big_file.mp3)
        [[ "$output" == "cache-tier: ${base_url}download/some_big_file.mp3" ]] && return 0
        sleep 0.1
    done
    fail "$binary never sent the user to the cache tier (last output: '$output')"
}
step "run the CMake-built example"
run_example "$work/build/verify_loop"
step "run the pkg-config-built example"
run_example "$work/verify_loop_pkgconfig"

step "import the installed Python module"
module=$(find "$prefix" -name 'cache_tier*.so' | head -n 1)
[[ -n "$module" ]] || fail "the Python module was not installed"
PYTHONPATH=$(dirname "$module") "$python" - "$base_url" <<'PY' || fail "the installed Python module does not work"
import sys
import cache_tier
cache = cache_tier.CacheTierClient(sys.argv[1], local_cache_time=20)
assert cache.verify_file("some_big_file.mp3"), "file should be cached by now"
assert cache.build_download_url("some_big_file.mp3") == sys.argv[1] + "download/some_big_file.mp3"
PY

echo "check_installed: OK"
