#!/usr/bin/env bash
# The Debian packages as an operator gets them: `cpack -G DEB` in the build
# folder, lintian with no error, the unit accepted by systemd-analyze verify
# and rated at most 2.0 (OK) by systemd-analyze security, the config a
# conffile, and the unpacked binary serving a fill from the demo origin.
#
#   tests/package/check_package.sh BUILD_DIR
set -euo pipefail

build_dir=$(cd "${1:?usage: check_package.sh BUILD_DIR}" && pwd)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cache-tier-package-XXXXXX")
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "check_package: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "cpack -G DEB"
(cd "$build_dir" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
server_deb=$(ls "$work"/out/cache-tier_*.deb)
dev_deb=$(ls "$work"/out/cache-tier-dev_*.deb)

step "contents"
root=$work/root
dpkg-deb -x "$server_deb" "$root"
for f in usr/bin/cache-tier lib/systemd/system/cache-tier.service etc/cache-tier/cache-tier.json etc/logrotate.d/cache-tier \
         usr/share/doc/cache-tier/copyright usr/share/doc/cache-tier/changelog.gz; do
    [[ -e "$root/$f" ]] || fail "$f missing from $(basename "$server_deb")"
done
[[ -d "$root/var/cache/cache-tier" ]] || fail "/var/cache/cache-tier missing"
dpkg-deb --ctrl-tarfile "$server_deb" | tar -xO ./conffiles >"$work/conffiles"
for f in /etc/cache-tier/cache-tier.json /etc/logrotate.d/cache-tier; do
    grep -qx "$f" "$work/conffiles" || fail "$f is not a conffile"
done
dpkg-deb -c "$dev_deb" >"$work/dev.list"
grep -q 'include/cache_tier/client.hpp' "$work/dev.list" || fail "client.hpp missing from the -dev package"
grep -q 'cmake/cache_tier/cache_tierConfig.cmake' "$work/dev.list" || fail "CMake package missing from -dev"

step "lintian"
command -v lintian >/dev/null || fail "lintian is not installed (scripts/install-deps.sh installs it)"
lintian --tag-display-limit 0 "$server_deb" "$dev_deb" >"$work/lintian.log" 2>&1 || true
cat "$work/lintian.log"
if grep -q '^E: ' "$work/lintian.log"; then fail "lintian reports errors"; fi

step "systemd-analyze verify and security"
# The unit names the installed paths; point them at the unpacked ones.
unit=$work/cache-tier.service
sed "s|/usr/bin/cache-tier|$root/usr/bin/cache-tier|" "$root/lib/systemd/system/cache-tier.service" >"$unit"
systemd-analyze verify --man=no "$unit" || fail "systemd-analyze verify refuses the unit"
systemd-analyze security --offline=yes "$unit" | tail -n 1
systemd-analyze security --offline=yes --threshold=20 "$unit" >/dev/null ||
    fail "the unit's exposure is above 2.0 (systemd-analyze security)"
for setting in "User=cache-tier" "ProtectSystem=strict" "ReadWritePaths=/var/cache/cache-tier" "NoNewPrivileges=yes"; do
    grep -qx "$setting" "$unit" || fail "the unit lacks $setting"
done

step "logrotate"
# Its own log folder stands in for /var/log/cache-tier; the rotation must run
# and leave the old log beside a new one (the server reopens it on SIGHUP).
logs=$work/logs
mkdir -p "$logs"
echo "a line" >"$logs/access.log"
sed "s|/var/log/cache-tier/|$logs/|" "$root/etc/logrotate.d/cache-tier" >"$work/logrotate.conf"
logrotate --state "$work/logrotate.state" --force "$work/logrotate.conf" || fail "logrotate refuses the package's config"
[[ -e "$logs/access.log.1" ]] || fail "logrotate did not rotate the access log"

step "the unpacked binary serves a fill"
"$root/usr/bin/cache-tier" --version | grep -q '[0-9]' || fail "--version printed no version"
cache=$work/cache
mkdir -p "$cache"
"$root/usr/bin/cache-tier" serve --listen 127.0.0.1:0 --cache-dir "$cache" \
    --origin "file://$source_dir/demo/origin" >"$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/serve.log" | head -n 1)
    [[ -n "$port" ]] && break
    sleep 0.1
done
[[ -n "$port" ]] || { cat "$work/serve.log" >&2; fail "the packaged server did not start"; }
for _ in $(seq 100); do
    curl -s "http://127.0.0.1:$port/verify/episode-001.mp3" | grep -q '"available":true' && break
    sleep 0.1
done
curl -s "http://127.0.0.1:$port/verify/episode-001.mp3" | grep -q '"available":true' || fail "no fill from the demo origin"
cmp <(curl -s "http://127.0.0.1:$port/static/files_cache/episode-001.mp3") "$source_dir/demo/origin/episode-001.mp3" ||
    fail "the served copy differs from the origin's file"
echo "package check passed"
